#include "test/irules/http_peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace irulesd::cases {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Body length of a chunked body starting at `body`, or nullopt while incomplete.
std::optional<std::size_t> chunked_length(std::string_view body) {
  std::size_t pos = 0;
  for (;;) {
    std::size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::size_t size = 0;
    std::size_t i = pos;
    for (; i < eol; ++i) {
      char c = body[i];
      int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (v < 0) break;
      size = size * 16 + static_cast<std::size_t>(v);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailers, then the empty line.
      for (;;) {
        std::size_t end = body.find("\r\n", pos);
        if (end == std::string_view::npos) return std::nullopt;
        bool empty = end == pos;
        pos = end + 2;
        if (empty) return pos;
      }
    }
    if (body.size() < pos + size + 2) return std::nullopt;
    pos += size + 2;
  }
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void close_with_reset(int fd) {
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 2000) <= 0) return false;
      continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::size_t> http_message_length(std::string_view buf, bool response, bool head_request,
                                               bool* until_close) {
  *until_close = false;
  std::size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  head_end += 4;
  std::string_view head = buf.substr(0, head_end);
  std::size_t first_eol = head.find("\r\n");
  std::string_view start_line = head.substr(0, first_eol);

  if (response) {
    // "HTTP/1.1 204 No Content": the status is the second word.
    int status = 0;
    std::size_t sp = start_line.find(' ');
    if (sp != std::string_view::npos) status = std::atoi(std::string(start_line.substr(sp + 1, 3)).c_str());
    if (head_request || (status >= 100 && status < 200) || status == 204 || status == 304) return head_end;
  }

  bool chunked = false;
  std::optional<std::size_t> content_length;
  std::size_t pos = first_eol + 2;
  while (pos < head_end - 2) {
    std::size_t eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Transfer-Encoding") && value.size() >= 7 && iequals(value.substr(value.size() - 7), "chunked")) {
      chunked = true;
    } else if (iequals(name, "Content-Length")) {
      content_length = static_cast<std::size_t>(std::strtoull(std::string(value).c_str(), nullptr, 10));
    }
  }
  if (chunked) {
    std::optional<std::size_t> body = chunked_length(buf.substr(head_end));
    if (!body) return std::nullopt;
    return head_end + *body;
  }
  if (content_length) {
    if (buf.size() < head_end + *content_length) return std::nullopt;
    return head_end + *content_length;
  }
  if (!response) return head_end;
  *until_close = true;
  return std::nullopt;
}

int listen_ephemeral(const std::string& addr, uint16_t* port, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) {
    error = "not an IPv4 address: " + addr;
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    error = "cannot listen on " + addr + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

// ---------------------------------------------------------------------------------------------
// Backend

BackendReply BackendReply::answer(std::string bytes) {
  BackendReply reply{Kind::Bytes, std::move(bytes), false};
  // A body that runs to the end of the connection only ends when the backend closes; so does a
  // response that says "Connection: close".
  bool until_close = false;
  http_message_length(reply.bytes, true, false, &until_close);
  std::size_t head_end = reply.bytes.find("\r\n\r\n");
  std::string head = reply.bytes.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  reply.close_after = until_close || head.find("\r\nconnection: close") != std::string::npos;
  return reply;
}

Backend::~Backend() { stop(); }

void Backend::start(int listen_fd, BackendScript script) {
  listen_fd_ = listen_fd;
  script_ = std::move(script);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  set_nonblocking(listen_fd_);
  thread_ = std::thread([this] { run(); });
}

void Backend::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  wake_fd_ = listen_fd_ = -1;
}

std::vector<BackendMessage> Backend::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

void Backend::run() {
  using Clock = std::chrono::steady_clock;
  std::vector<Conn> conns;
  std::optional<Clock::time_point> drain_until;
  for (;;) {
    if (stopping_ && !drain_until) drain_until = Clock::now() + std::chrono::seconds(2);
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const Conn& c : conns) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), drain_until ? 20 : 1000) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    // Serve the connections that were polled, then take the new one (polled next time round).
    std::vector<Conn> still_open;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (fds[i + 2].revents == 0 || serve(conns[i])) {
        still_open.push_back(std::move(conns[i]));
      }
    }
    conns = std::move(still_open);
    const bool pending = fds[1].revents & POLLIN;
    if (pending) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0 && (!script_.banner || answer(fd, *script_.banner))) conns.push_back({fd, {}});
    }
    // Stopping: the proxy has closed its sockets, so every connection ends soon; read them to the end.
    if (drain_until && ((conns.empty() && !pending) || Clock::now() >= *drain_until)) break;
  }
  for (Conn& c : conns) {
    if (!c.buf.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back({std::move(c.buf), false});
    }
    ::close(c.fd);
  }
}

std::optional<std::size_t> Backend::message_length(std::string_view buf, std::size_t index) const {
  if (!script_.tcp) {
    bool until_close = false;
    return http_message_length(buf, false, false, &until_close);
  }
  if (index >= script_.frame_lengths.size() || buf.size() < script_.frame_lengths[index]) return std::nullopt;
  return script_.frame_lengths[index];
}

bool Backend::answer(int fd, const BackendReply& reply) {
  if (reply.kind == BackendReply::Kind::Close) {
    ::close(fd);
    return false;
  }
  if (reply.kind == BackendReply::Kind::Reset) {
    close_with_reset(fd);
    return false;
  }
  send_all(fd, reply.bytes);
  if (reply.close_after) {
    ::close(fd);
    return false;
  }
  return true;
}

bool Backend::serve(Conn& conn) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(conn.fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      conn.buf.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    bool closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    // Answer every complete message, in order.
    for (;;) {
      std::size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        index = received_.size();
      }
      std::optional<std::size_t> len = message_length(conn.buf, index);
      if (!len) break;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back({conn.buf.substr(0, *len), true});
      }
      conn.buf.erase(0, *len);
      const std::vector<BackendReply>& replies = script_.replies;
      if (script_.tcp) {
        if (index < replies.size() && !answer(conn.fd, replies[index])) return false;
        continue;
      }
      const BackendReply reply = replies.empty() ? BackendReply{} : replies[std::min(index, replies.size() - 1)];
      if (!answer(conn.fd, reply)) return false;
    }
    if (closed) {
      if (!conn.buf.empty()) {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back({std::move(conn.buf), false});
      }
      ::close(conn.fd);
      return false;
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Client

bool Client::connect(const std::string& local_addr, const sockaddr_in& to, std::string& error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, local_addr.c_str(), &local.sin_addr);
  socklen_t len = sizeof local;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    error = std::string("client cannot connect to the virtual: ") + std::strerror(errno);
    close();
    return false;
  }
  local_port_ = ntohs(local.sin_port);
  set_nonblocking(fd_);
  return true;
}

void Client::send(std::string_view bytes) {
  if (fd_ < 0 || reset_) return;
  if (!send_all(fd_, bytes) && (errno == ECONNRESET || errno == EPIPE)) reset_ = true;
}

bool Client::read_some(int64_t deadline_ms) {
  using namespace std::chrono;
  for (;;) {
    const int64_t left = deadline_ms - duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;   // the deadline check above ends it
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof_ = true;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      reset_ = true;
    }
    return true;
  }
}

namespace {
int64_t deadline_after(int timeout_ms) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count() + timeout_ms;
}
}  // namespace

ClientRead Client::read_message(bool head_request, int timeout_ms) {
  const int64_t deadline = deadline_after(timeout_ms);
  for (;;) {
    bool until_close = false;
    if (std::optional<std::size_t> len = http_message_length(buf_, true, head_request, &until_close)) {
      ClientRead out{ClientRead::Kind::Message, buf_.substr(0, *len)};
      buf_.erase(0, *len);
      return out;
    }
    if (reset_ || eof_) {
      if (buf_.empty()) return {reset_ ? ClientRead::Kind::Reset : ClientRead::Kind::Closed, {}};
      // A body that runs to the end of the connection is complete at a clean close.
      ClientRead::Kind kind = until_close && eof_ && !reset_ ? ClientRead::Kind::Message : ClientRead::Kind::Incomplete;
      return {kind, std::move(buf_)};
    }
    if (!read_some(deadline)) return {ClientRead::Kind::Timeout, std::move(buf_)};
  }
}

ClientRead Client::read_bytes(std::size_t count, int timeout_ms) {
  const int64_t deadline = deadline_after(timeout_ms);
  for (;;) {
    if (count != kUntilEnd && buf_.size() >= count) {
      ClientRead out{ClientRead::Kind::Message, buf_.substr(0, count)};
      buf_.erase(0, count);
      return out;
    }
    if (reset_ || eof_) {
      if (buf_.empty()) return {reset_ ? ClientRead::Kind::Reset : ClientRead::Kind::Closed, {}};
      return {ClientRead::Kind::Incomplete, std::move(buf_)};
    }
    if (fd_ < 0) return {ClientRead::Kind::Closed, {}};
    if (!read_some(deadline)) return {ClientRead::Kind::Timeout, std::move(buf_)};
  }
}

void Client::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string Client::finish(int timeout_ms) {
  if (fd_ < 0) return {};
  ::shutdown(fd_, SHUT_WR);
  const int64_t deadline = deadline_after(timeout_ms);
  while (!eof_ && !reset_ && read_some(deadline)) {
  }
  close();
  return std::move(buf_);
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace irulesd::cases
