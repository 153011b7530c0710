// The two ends a case plays around the proxy: a blocking client whose every read has a deadline, and
// a backend thread that records each request it receives and answers with the case's canned replies.
// Both find where one HTTP/1.1 message ends the way the RFC frames it (Content-Length, chunked, no
// body for HEAD/1xx/204/304, else to the end of the connection).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace irulesd::cases {

// Length of the first complete message in `buf`, or nullopt while it is incomplete. A response
// whose body runs to the end of the connection is never complete here: `until_close` says so, and
// the reader takes what it has at EOF.
std::optional<std::size_t> http_message_length(std::string_view buf, bool response, bool head_request,
                                               bool* until_close);

// A listening TCP socket on ADDR:0 (the kernel picks the port). -1 with `error` set on failure.
int listen_ephemeral(const std::string& addr, uint16_t* port, std::string& error);

struct BackendReply {
  enum class Kind { Bytes, Close, Reset } kind = Kind::Bytes;
  std::string bytes;
  bool close_after = false;   // the connection closes once `bytes` are sent
  // Bytes to send, closing afterwards when the response is delimited by the close or says
  // "Connection: close".
  static BackendReply answer(std::string bytes);
};

// What the backend does on every connection. HTTP (the default): each request is framed as HTTP
// frames it, replies[i] answers the i-th request and the last reply all later ones. Plain TCP
// (`tcp`): the i-th message is the next frame_lengths[i] bytes, replies[i] answers it, a message
// without a reply gets none, and bytes past the last framed message are one message at the end.
struct BackendScript {
  std::vector<BackendReply> replies;
  bool tcp = false;
  std::vector<std::size_t> frame_lengths;
  std::optional<BackendReply> banner;   // sent as each connection is accepted, before it reads
};

// What the backend saw: each request (or, at EOF, the bytes of an unfinished one), in arrival order.
struct BackendMessage {
  std::string bytes;
  bool complete = true;
};

class Backend {
 public:
  Backend() = default;
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // Takes a listening socket and serves every connection by the script.
  void start(int listen_fd, BackendScript script);
  // Reads on until every connection has been closed by its peer (the proxy is gone by now, so that
  // is quick; 2 s at most), so that no byte the proxy sent is lost; then joins the thread and closes
  // every socket.
  void stop();
  std::vector<BackendMessage> received() const;

 private:
  struct Conn {
    int fd;
    std::string buf;
  };
  void run();
  // False when the connection is done (closed or reset by the reply).
  bool serve(Conn& conn);
  // Sends the reply; false when that ended the connection (the fd is closed then).
  bool answer(int fd, const BackendReply& reply);
  // Where the next message in `buf` ends, by HTTP or by the script's length for message `index`.
  std::optional<std::size_t> message_length(std::string_view buf, std::size_t index) const;

  int listen_fd_ = -1;
  int wake_fd_ = -1;
  BackendScript script_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<BackendMessage> received_;
};

// What one read of a response ended with.
struct ClientRead {
  enum class Kind {
    Message,      // a complete message (bytes)
    Reset,        // the connection was reset before a message began
    Closed,       // the proxy closed (FIN) before a message began
    Incomplete,   // closed or reset in the middle of a message (bytes: what came)
    Timeout,      // nothing complete before the deadline (bytes: what came)
  } kind = Kind::Message;
  std::string bytes;
};

class Client {
 public:
  ~Client() { close(); }
  // Connects from `local_addr` (port chosen by the kernel) to addr:port.
  bool connect(const std::string& local_addr, const sockaddr_in& to, std::string& error);
  uint16_t local_port() const { return local_port_; }
  // Sends everything; a failure (the proxy reset us) is not an error here: the next read reports it.
  void send(std::string_view bytes);
  ClientRead read_message(bool head_request, int timeout_ms);
  // Plain TCP: the next `count` bytes (Message); or, when the connection ends or the timeout runs
  // out first, what came (Incomplete / Timeout; Reset / Closed when nothing did). With
  // kUntilEnd it reads until the connection ends, so Closed or Reset say that nothing more came.
  static constexpr std::size_t kUntilEnd = static_cast<std::size_t>(-1);
  ClientRead read_bytes(std::size_t count, int timeout_ms);
  bool was_reset() const { return reset_; }
  // Half-closes (FIN): the client sends no more, and reads on.
  void shutdown_write();
  // Ends the connection the way a polite client does: half-closes, then reads until the proxy
  // closes its side (or the timeout). Returns the bytes that came meanwhile, which nothing asked for.
  // After it, the proxy has seen the whole connection, CLIENT_CLOSED included.
  std::string finish(int timeout_ms);
  void close();

 private:
  // Waits up to `deadline_ms` (absolute, steady clock) for bytes; false when the time ran out.
  bool read_some(int64_t deadline_ms);

  int fd_ = -1;
  uint16_t local_port_ = 0;
  std::string buf_;         // bytes read past the last message (pipelined responses)
  bool reset_ = false;      // a send or read saw ECONNRESET/EPIPE
  bool eof_ = false;
};

}  // namespace irulesd::cases
