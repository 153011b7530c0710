#include "core/server_connection_pool.h"

#include <algorithm>

namespace irulesd {

ServerConnectionPool::~ServerConnectionPool() {
  // The worker closes everything before its loop ends (close_all); what is left here was never
  // handed to libuv's close, so only the bookkeeping goes.
  for (auto& [key, entries] : idle_) {
    for (Entry* entry : entries) delete entry;
  }
}

ServerConnectionPool::Entry* ServerConnectionPool::park(uv_tcp_t* tcp, uv_close_cb on_closed, std::string key,
                                                        const Parking& parking) {
  uint32_t& kept = per_profile_[parking.profile];
  if (kept >= parking.max_size) return nullptr;
  auto* entry = new Entry{tcp, on_closed, this, std::move(key), parking.profile,
                          parking.idle_timeout_ms == 0 ? 0 : uv_now(loop_) + parking.idle_timeout_ms};
  ++kept;
  ++count_;
  idle_[entry->key].push_back(entry);
  return entry;
}

uv_tcp_t* ServerConnectionPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  // The most recent: the least likely to have been closed by the server's own keep-alive timeout.
  Entry* entry = it->second.back();
  unlink(entry);
  uv_tcp_t* tcp = entry->tcp;
  delete entry;
  ++reused_;
  return tcp;
}

void ServerConnectionPool::sweep(uint64_t now_ms) {
  std::vector<Entry*> expired;
  for (auto& [key, entries] : idle_) {
    for (Entry* entry : entries) {
      if (entry->expires_ms != 0 && entry->expires_ms <= now_ms) expired.push_back(entry);
    }
  }
  for (Entry* entry : expired) close_entry(entry);
}

void ServerConnectionPool::close_all() {
  std::vector<Entry*> all;
  for (auto& [key, entries] : idle_) all.insert(all.end(), entries.begin(), entries.end());
  for (Entry* entry : all) close_entry(entry);
}

void ServerConnectionPool::unlink(Entry* entry) {
  std::vector<Entry*>& entries = idle_[entry->key];
  entries.erase(std::find(entries.begin(), entries.end(), entry));
  if (entries.empty()) idle_.erase(entry->key);
  --per_profile_[entry->profile];
  --count_;
}

void ServerConnectionPool::close_entry(Entry* entry) {
  unlink(entry);
  uv_tcp_t* tcp = entry->tcp;
  uv_close_cb on_closed = entry->on_closed;
  delete entry;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp), on_closed);
}

}  // namespace irulesd
