// Bytes a rule holds back: HTTP::collect (bodies, re-framed on release) and TCP::collect.
#include "core/proxy_connection.h"

#include <cstring>
#include <ctime>

#include "core/log.h"
#include "core/net_util.h"

namespace irulesd {

// ---------------------------------------------------------------------------------------------
// HTTP::collect: bodies held for HTTP_REQUEST_DATA / HTTP_RESPONSE_DATA

bool ProxyConnection::collect_reached(const Collect& collect) {
  const std::size_t wanted = collect.bytes == 0 ? kMaxCollect : std::min(collect.bytes, kMaxCollect);
  return collect.payload.size() >= wanted;
}

// Fires the *_DATA event for a collected body. True when the body is released (the caller sends
// it on); false when the rule collects more, answered, or the connection is gone.
bool ProxyConnection::body_collected(HttpParser& parser, CollectedBody& body, Event event) {
  Collect& collect = tx_.http_collect;
  parser.set_body_sink(nullptr);
  body.input_bytes += collect.payload.size() - body.mark;
  collect.requested = false;
  collect.released = false;
  if (!fire(event)) return false;
  body.mark = collect.payload.size();
  if (tx_.local_response) return false;
  if (collect.requested && !collect.released && !body.complete) {
    parser.set_body_sink(&collect.payload);   // HTTP::collect again: more of the body first
    return false;
  }
  return true;
}

void ProxyConnection::request_collected() {
  if (!body_collected(http_->request_parser, http_->request_body, Event::HttpRequestData)) {
    if (state_ == State::Closing || !tx_.local_response) return;
    // The rule answered: the rest of the body is read and dropped.
    tx_.http_collect = Collect{};
    send_local_response();
    response_done_ = true;
    discarding_body_ = true;
    state_ = State::ForwardingBody;
    if (http_->request_body.complete) on_request_complete();
    return;
  }
  http_->request_body.ready = true;
  if (collecting_for_member_) {   // collected from LB_SELECTED: that member, not a new choice
    collecting_for_member_ = false;
    state_ = State::Connecting;
    connect_chosen_member();
    return;
  }
  dispatch_request();
}

// The head goes out with the framing the released payload needs: the whole body collected →
// Content-Length of what the rule left; part of a chunked body → the payload as one chunk and the
// rest re-chunked as it is parsed; part of a Content-Length body → the length adjusted.
void ProxyConnection::frame_collected_body(HeaderList& headers, CollectedBody& body, const HttpParser& parser,
                                           std::string& payload) {
  if (body.complete) {
    headers.remove("Transfer-Encoding");
    headers.replace("Content-Length", std::to_string(payload.size()));
    return;
  }
  if (parser.chunked()) {
    body.rechunk = true;
    if (!payload.empty()) payload = fmt::format("{:x}\r\n{}\r\n", payload.size(), payload);
    return;
  }
  const std::optional<std::string_view> length = headers.last_value("Content-Length");
  const uint64_t declared = length ? std::strtoull(std::string(*length).c_str(), nullptr, 10) : body.input_bytes;
  headers.replace("Content-Length", std::to_string(declared - body.input_bytes + payload.size()));
}

void ProxyConnection::send_rechunked(Socket* to, CollectedBody& body, bool last) {
  if (!body.pending.empty()) {
    send_owned(to, fmt::format("{:x}\r\n{}\r\n", body.pending.size(), body.pending));
    body.pending.clear();
  }
  if (last) {
    send_owned(to, std::string("0\r\n\r\n"));
    body.rechunk = false;
  }
}

// ---------------------------------------------------------------------------------------------
// TCP::collect: bytes held for CLIENT_DATA / SERVER_DATA

void ProxyConnection::collect_client_bytes(const char* data, std::size_t len) {
  Collect& collect = tx_.tcp_collect;
  collect.payload.append(data, len);
  if (collect.bytes == 0 || collect.payload.size() >= std::min(collect.bytes, kMaxCollect)) client_data_ready(false);
}

void ProxyConnection::collect_server_bytes(const char* data, std::size_t len) {
  Collect& collect = tx_.tcp_server_collect;
  collect.payload.append(data, len);
  if (collect.bytes == 0 || collect.payload.size() >= std::min(collect.bytes, kMaxCollect)) server_data_ready(false);
}

// Fires CLIENT_DATA / SERVER_DATA for what was collected. As on BIG-IP the bytes stay held until
// TCP::release (all of them, or the first N; without a new TCP::collect the rest goes on too) and the
// event fires again as more arrive. Held bytes go on regardless at the collect limit and when the
// peer has closed (`final`): a rule cannot make the proxy hold data for ever.
std::string ProxyConnection::take_released(Collect& collect, Event event, bool final) {
  collect.released = false;
  collect.release_bytes = std::string::npos;
  // At the peer's close, bytes the rule has seen already go on without the event firing again.
  if (!(final && collect.payload.size() == collect.seen) && !fire(event)) return {};
  std::size_t n = 0;
  if (collect.released) {
    n = collect.requested ? std::min(collect.release_bytes, collect.payload.size()) : collect.payload.size();
  } else if (final || collect.payload.size() >= kMaxCollect) {
    collect.requested = false;
    n = collect.payload.size();
  }
  std::string out = collect.payload.substr(0, n);
  collect.payload.erase(0, n);
  collect.seen = collect.payload.size();
  return out;
}

void ProxyConnection::client_data_ready(bool final) {
  std::string bytes = take_released(tx_.tcp_collect, Event::ClientData, final);
  if (state_ == State::Closing || bytes.empty()) return;
  if (tcp_mode_ && state_ == State::Tunnel) {
    send_owned(server_, std::move(bytes));
    return;
  }
  // HTTP parses them as if they had just arrived; a TCP virtual sends them once connected.
  stash_.append(bytes);
  if (tcp_mode_) {
    if (state_ == State::ReadingRequest) load_balance();
    return;
  }
  pump_client();
}

void ProxyConnection::server_data_ready(bool final) {
  std::string bytes = take_released(tx_.tcp_server_collect, Event::ServerData, final);
  if (state_ == State::Closing || bytes.empty()) return;
  // Past the collect: bytes released here are never collected again.
  process_server_bytes(bytes.data(), bytes.size());
  flush(client_);   // corked pieces point into `bytes`
}

}  // namespace irulesd
