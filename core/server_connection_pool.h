// OneConnect's reuse pool: idle server-side connections one worker keeps after their exchange, so that
// a later request — of the same client connection or another — reuses one instead of connecting. One
// pool per worker, as BIG-IP keeps one per TMM; it knows nothing of HTTP or of the connections that
// park here, only a key (where the connection goes, from which source), when it may be reused, and how
// to free the memory around a handle it closes.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace irulesd {

class ServerConnectionPool {
 public:
  explicit ServerConnectionPool(uv_loop_t* loop) : loop_(loop) {}
  ServerConnectionPool(const ServerConnectionPool&) = delete;
  ServerConnectionPool& operator=(const ServerConnectionPool&) = delete;
  ~ServerConnectionPool();

  struct Parking {
    std::string_view profile;     // the one-connect profile: its max-size counts its own connections
    uint32_t max_size = 0;        // idle connections the profile may keep on this worker
    uint64_t idle_timeout_ms = 0; // closed after this long unused; 0 = never
  };
  struct Entry;
  // Keeps `tcp` (connected, nothing queued to it) for reuse under `key`. The caller goes on reading it
  // with its own callbacks, and reports whatever a parked connection reads with parked_read(): a byte
  // or a close from the server ends it (an idle server has nothing to say). Reading on, rather than
  // switching to callbacks of the pool's, saves the two epoll_ctl calls that each stop and restart of
  // a libuv read cost: four per reuse. handle->data is not touched; when the pool closes the handle,
  // `on_closed` runs to free the memory around it. Null when the profile is at max-size: the caller
  // keeps it and closes it.
  // Allocates nothing once warm: entries are recycled, and a key's list stays until a sweep finds it empty.
  Entry* park(uv_tcp_t* tcp, uv_close_cb on_closed, std::string_view key, const Parking& parking);
  // The most recently parked connection under `key`, or null; reading as it was when parked.
  uv_tcp_t* take(std::string_view key);
  // A parked connection read something (bytes, EOF or an error): it is closed.
  void parked_read(Entry* entry) { close_entry(entry); }
  // Closes connections idle past their timeout (the worker calls it once a second).
  void sweep(uint64_t now_ms);
  // Worker stop: closes every parked connection.
  void close_all();

  std::size_t idle_count() const { return count_; }
  uint64_t reused() const { return reused_; }

 public:
  // A parked connection (the caller keeps a pointer to report reads with parked_read()).
  struct Entry {
    uv_tcp_t* tcp;
    uv_close_cb on_closed;
    ServerConnectionPool* pool;
    std::string key;
    std::string profile;
    uint64_t expires_ms;   // 0 = never
  };
 private:
  // Takes the entry out of the indexes; the handle is the caller's again.
  void unlink(Entry* entry);
  void close_entry(Entry* entry);
  void recycle(Entry* entry);

  uv_loop_t* loop_;
  // Ordered maps: found by a string_view key without building a string.
  std::map<std::string, std::vector<Entry*>, std::less<>> idle_;   // key → parked, oldest first
  std::map<std::string, uint32_t, std::less<>> per_profile_;
  std::vector<Entry*> spare_;   // entries of connections taken or closed, for the next park
  std::size_t count_ = 0;
  uint64_t reused_ = 0;
};

}  // namespace irulesd
