#include "core/http_parser.h"

#include "core/http_syntax.h"

#include <algorithm>

namespace irulesd {
namespace {
// Bytes a header line costs beyond its name and value: ": " and CRLF. Counting as the bytes arrive
// keeps the limit exact whatever blanks surround the values (the received copy has its own, looser
// bound: kReceivedSlack).
constexpr std::size_t kHeaderLineOverhead = 4;

// The strict rules' error reasons (logged with the 400, or with the reset of a body).
constexpr const char* kObsFold = "obsolete line folding in a header field (RFC 9112 5.2)";
constexpr const char* kFieldName = "header field name is not a token (RFC 9110 5.1, RFC 9112 5.1)";
constexpr const char* kValueByte = "header field value holds a control character (RFC 9110 5.5)";
constexpr const char* kNoHost = "HTTP/1.1 request without a Host header (RFC 9112 3.2)";
constexpr const char* kRepeatedHost = "request with more than one Host header (RFC 9112 3.2)";
constexpr const char* kHostNotAuthority =
    "Host differs from the authority of the absolute-form request-target (RFC 9112 3.2.2)";
constexpr const char* kTeOn10 = "Transfer-Encoding in an HTTP/1.0 message (RFC 9112 6.1)";
constexpr const char* kTeNotChunked = "request whose last transfer coding is not chunked (RFC 9112 6.3)";
constexpr const char* kVersion = "HTTP version other than 1.0 or 1.1";
constexpr const char* kChunkEnd = "chunk data not followed by CRLF (RFC 9112 7.1)";

// How far past max-header-size a head's raw bytes may go before they are refused without parsing.
constexpr std::size_t kReceivedSlack = 4096;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Whether every LF of the head follows a CR, and it ends with an empty line: llhttp accepts a bare LF
// as a line end, which a backend might read differently, so such a head is serialized anew.
bool lines_end_in_crlf(std::string_view head) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return false;
  for (std::size_t lf = head.find('\n'); lf != std::string_view::npos; lf = head.find('\n', lf + 1)) {
    if (lf == 0 || head[lf - 1] != '\r') return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}
}  // namespace

HttpParser::HttpParser(Kind kind) : kind_(kind) {
  reset();
}

void HttpParser::FieldSpan::add(const char* data, std::size_t n, const char* base) {
  if (!copied && base != nullptr) {
    const auto off = static_cast<std::size_t>(data - base);
    if (len == 0) {
      at = off;
      len = n;
      return;
    }
    if (at + len == off) {
      len += n;
      return;
    }
  }
  if (!copied) {
    copy.assign(base != nullptr ? base + at : data, base != nullptr ? len : 0);
    copied = true;
  }
  copy.append(data, n);
}

std::string_view HttpParser::FieldSpan::view(const char* base) const {
  if (copied) return copy;
  return base != nullptr ? std::string_view(base + at, len) : std::string_view();
}

// The callbacks are the same for every parser (llhttp keeps a pointer): one table, not 184 bytes in
// each of a connection's two parsers.
const llhttp_settings_t& HttpParser::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &HttpParser::on_message_begin;
    s.on_url = &HttpParser::on_url;
    s.on_status = &HttpParser::on_status;
    s.on_header_field = &HttpParser::on_header_field;
    s.on_header_value = &HttpParser::on_header_value;
    s.on_header_value_complete = &HttpParser::on_header_value_complete;
    s.on_headers_complete = &HttpParser::on_headers_complete;
    s.on_message_complete = &HttpParser::on_message_complete;
    s.on_body = &HttpParser::on_body;
    return s;
  }();
  return table;
}

HeaderList* HttpParser::head_target() const {
  return request_ ? &request_->headers : response_ ? &response_->headers : nullptr;
}

// A head's bytes are copied once into its HeaderList and parsed there, so that headers are slices of
// them; body bytes are parsed where they are. The copy stops at the size limit plus some slack for
// what the limit does not count (the start line's method and version, blanks around values): a head
// longer than that is refused as over max-header-size without holding more of it.
ParseResult HttpParser::feed(const char* data, std::size_t len) {
  // Still paused (the caller has not resumed): nothing is parsed and nothing is consumed.
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) return {ParseStop::NeedMore, 0};
  HeaderList* headers = head_target();
  if (!in_head_ || headers == nullptr || strict_error_ || limit_exceeded_) return execute(data, len);
  if (!message_begun_) headers->begin_received();
  const std::size_t cap = limits_.max_header_size + kReceivedSlack;
  const std::size_t room = cap > headers->received_size() ? cap - headers->received_size() : 0;
  const std::size_t take = std::min(len, room);
  const std::size_t at = headers->append_received(data, take);
  received_base_ = headers->received_data();
  ParseResult result = execute(received_base_ + at, take);
  received_base_ = nullptr;
  if (result.stop == ParseStop::HeadComplete) {
    const std::size_t end = at + result.consumed;
    headers->end_received(end, lines_end_in_crlf(std::string_view(headers->received_data(), end)));
  } else if (result.stop == ParseStop::NeedMore && take < len) {
    fail_limit("max-header-size");
    return {ParseStop::Error, 0};
  }
  return result;
}

ParseResult HttpParser::execute(const char* data, std::size_t len) {
  // A strict error leaves llhttp itself in a good state (the check failed after it), so the
  // error is kept here until reset().
  if (strict_error_ || limit_exceeded_) return {ParseStop::Error, 0};
  pause_reason_ = ParseStop::NeedMore;
  feed_begin_ = data;
  feed_end_ = data + len;
  // The CRLF after a chunk's data may straddle two reads.
  if (crlf_next_ < 2 && check_chunk_end(data) != 0) return {ParseStop::Error, 0};
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  ParseResult result{ParseStop::Error, 0};
  if (err == HPE_OK) {
    result = {ParseStop::NeedMore, len};
  } else if (err == HPE_PAUSED) {
    const char* pos = llhttp_get_error_pos(&parser_);
    result = {pause_reason_, static_cast<std::size_t>(pos - data)};
  } else if (err == HPE_PAUSED_UPGRADE && pause_reason_ == ParseStop::NeedMore) {
    // llhttp stops after a message that asked to switch protocols, once we resume from its
    // MessageComplete. Bytes are fed to us after that only when the switch did not happen (a
    // granted one turns the connection into a tunnel), so they are HTTP again.
    const char* pos = llhttp_get_error_pos(&parser_);
    llhttp_resume_after_upgrade(&parser_);
    std::size_t skipped = static_cast<std::size_t>(pos - data);
    note_consumed(data, skipped);
    ParseResult rest = execute(pos, len - skipped);
    rest.consumed += skipped;
    return rest;
  }
  note_consumed(data, result.consumed);
  return result;
}

void HttpParser::note_consumed(const char* data, std::size_t len) {
  for (std::size_t i = len; i > 0; --i) {
    if (!is_blank(data[i - 1])) {
      last_non_blank_ = data[i - 1];
      return;
    }
  }
}

ParseStop HttpParser::resume_after_head() {
  resume();
  static const char kNothing = 0;
  return execute(&kNothing, 0).stop;
}

void HttpParser::reset() {
  llhttp_init(&parser_, kind_ == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings());
  parser_.data = this;
  in_head_ = true;
  message_begun_ = false;
  limit_exceeded_ = false;
  limit_name_.clear();
  strict_error_ = nullptr;
  last_non_blank_ = '\0';
  crlf_next_ = 2;
  host_count_ = 0;
}

bool HttpParser::finish() {
  pause_reason_ = ParseStop::NeedMore;
  llhttp_errno_t err = llhttp_finish(&parser_);
  return (err == HPE_OK || err == HPE_PAUSED) && pause_reason_ == ParseStop::MessageComplete;
}

void HttpParser::resume() {
  if (llhttp_get_errno(&parser_) == HPE_PAUSED_UPGRADE) {
    llhttp_resume_after_upgrade(&parser_);
  } else if (llhttp_get_errno(&parser_) == HPE_PAUSED) {
    llhttp_resume(&parser_);
  }
}

const char* HttpParser::error_reason() const {
  if (strict_error_) return strict_error_;
  const char* reason = llhttp_get_error_reason(&parser_);
  return reason ? reason : llhttp_errno_name(llhttp_get_errno(&parser_));
}

int HttpParser::fail_limit(const char* name) {
  limit_exceeded_ = true;
  limit_name_ = name;
  llhttp_set_error_reason(&parser_, name);
  return HPE_USER;
}

int HttpParser::fail_strict(const char* reason) {
  strict_error_ = reason;
  llhttp_set_error_reason(&parser_, reason);
  return HPE_USER;
}

// Whether a value span starts a line of its own (after optional blanks): obsolete line folding.
// llhttp reports a folded line as a second span of the same value, or, when the value before the
// fold was empty, as the value itself; either way only CRLF and blanks stand before it.
bool HttpParser::follows_line_break(const char* at) const {
  std::size_t i = static_cast<std::size_t>(at - feed_begin_);
  while (i > 0 && is_blank(feed_begin_[i - 1])) --i;
  return (i > 0 ? feed_begin_[i - 1] : last_non_blank_) == '\n';
}

// Checks the bytes due after a chunk's data ("\r\n", from crlf_next_ on) that this feed holds.
// llhttp without strict mode skips any two bytes there, which a backend would read differently.
int HttpParser::check_chunk_end(const char* from) {
  for (const char* c = from; crlf_next_ < 2 && c < feed_end_; ++c) {
    if (*c != "\r\n"[crlf_next_]) return fail_strict(kChunkEnd);
    ++crlf_next_;
  }
  return 0;
}

// A complete field line, in the head or in the trailers.
int HttpParser::check_field(std::string_view name, std::string_view value) {
  if (!is_header_token(name)) return fail_strict(kFieldName);
  if (kind_ == Kind::Request && in_head_ && header_name_equals(name, "Host")) {
    if (++host_count_ > 1) return fail_strict(kRepeatedHost);
    if (const char* reason = check_host_value(trim_ows(value))) return fail_strict(reason);
  }
  return 0;
}

int HttpParser::check_request_head(const llhttp_t* p) {
  if (request_ != nullptr) {
    const char* method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    if (const char* reason = check_request_target(method, request_->uri)) return fail_strict(reason);
    // A client sends Host equal to the target's authority; a server must use the authority. A
    // backend that reads Host instead would route by a name irulesd and its rules never saw.
    const std::string_view authority = absolute_form_authority(request_->uri);
    if (!authority.empty()) {
      const std::optional<std::string_view> host = request_->headers.last_value("Host");
      if (host && !header_name_equals(trim_ows(*host), authority)) return fail_strict(kHostNotAuthority);
    }
  }
  if (p->http_minor == 1 && host_count_ == 0) return fail_strict(kNoHost);
  return 0;
}

int HttpParser::count_head_bytes(std::size_t len) {
  head_bytes_ += len;
  if (head_bytes_ > limits_.max_header_size) return fail_limit("max-header-size");
  return 0;
}

int HttpParser::on_message_begin(llhttp_t* p) {
  HttpParser& s = self(p);
  s.in_head_ = true;
  s.message_begun_ = true;
  s.head_bytes_ = 0;
  s.header_count_ = 0;
  s.clear_field();
  s.host_count_ = 0;
  s.crlf_next_ = 2;
  if (s.request_) {
    s.request_->uri.clear();
    s.request_->headers.clear();
  }
  if (s.response_) {
    s.response_->reason.clear();
    s.response_->headers.clear();
  }
  return 0;
}

int HttpParser::on_url(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  if (s.request_) s.request_->uri.append(at, len);
  return s.count_head_bytes(len);
}

int HttpParser::on_status(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  if (s.response_) s.response_->reason.append(at, len);
  return s.count_head_bytes(len);
}

int HttpParser::on_header_field(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  s.field_.add(at, len, s.received_base_);
  return s.count_head_bytes(len);
}

int HttpParser::on_header_value(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  s.value_.add(at, len, s.received_base_);
  if (int err = s.count_head_bytes(len)) return err;
  // llhttp reports an empty value as an empty span at the start of the next line: no fold.
  if (len > 0 && s.follows_line_break(at)) return s.fail_strict(kObsFold);
  for (std::size_t i = 0; i < len; ++i) {
    if (!is_field_value_byte(static_cast<unsigned char>(at[i]))) return s.fail_strict(kValueByte);
  }
  return 0;
}

int HttpParser::on_header_value_complete(llhttp_t* p) {
  HttpParser& s = self(p);
  if (++s.header_count_ > s.limits_.max_header_count) return s.fail_limit("max-header-count");
  const std::string_view name = s.field_.view(s.received_base_);
  const std::string_view value = s.value_.view(s.received_base_);
  if (int err = s.check_field(name, value)) return err;
  if (HeaderList* headers = s.head_target()) {
    if (s.field_.in_received() && s.value_.in_received()) {
      headers->add_received(s.field_.at, s.field_.len, s.value_.at, s.value_.len);
    } else {
      headers->add(name, value);   // a trailer, or a value llhttp reported in pieces that are not adjacent
    }
  }
  s.clear_field();
  return s.count_head_bytes(kHeaderLineOverhead);
}

int HttpParser::on_headers_complete(llhttp_t* p) {
  HttpParser& s = self(p);
  if (p->http_major != 1 || p->http_minor > 1) return s.fail_strict(kVersion);
  // RFC 9112 6.1 lets a server either refuse such a message or process it and close; refusing is
  // the only way to be sure no backend reads its body differently (an HTTP/1.0 backend ignores
  // Transfer-Encoding and would take the chunk framing for the body, or the next request).
  if ((p->flags & F_TRANSFER_ENCODING) != 0 && p->http_minor == 0) return s.fail_strict(kTeOn10);
  // llhttp refuses a request whose last coding is not chunked only after this callback, which is
  // too late: the head would be forwarded before the error.
  if (s.kind_ == Kind::Request && (p->flags & F_TRANSFER_ENCODING) != 0 && (p->flags & F_CHUNKED) == 0) {
    return s.fail_strict(kTeNotChunked);
  }
  if (s.kind_ == Kind::Request) {
    if (int err = s.check_request_head(p)) return err;
  }
  s.in_head_ = false;
  if (s.request_) {
    s.request_->method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    s.request_->version_major = p->http_major;
    s.request_->version_minor = p->http_minor;
    s.request_->headers.clear_modified();
  }
  if (s.response_) {
    s.response_->status = p->status_code;
    s.response_->version_major = p->http_major;
    s.response_->version_minor = p->http_minor;
    s.response_->headers.clear_modified();
    // A response to HEAD has no body whatever its Content-Length says. Returning 1 would say so,
    // but we pause here; llhttp's own flag for "1" is honoured after the pause as well.
    if (s.expect_no_body_) p->flags |= F_SKIPBODY;
  }
  s.pause_reason_ = ParseStop::HeadComplete;
  return HPE_PAUSED;
}

int HttpParser::on_body(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  if (s.body_sink_) s.body_sink_->append(at, len);
  if ((p->flags & F_CHUNKED) != 0 && p->content_length == 0) {
    // The last bytes of a chunk's data: CRLF must follow.
    s.crlf_next_ = 0;
    return s.check_chunk_end(at + len);
  }
  return 0;
}

int HttpParser::on_message_complete(llhttp_t* p) {
  HttpParser& s = self(p);
  s.in_head_ = true;   // whatever comes next starts a new head
  s.message_begun_ = false;
  s.pause_reason_ = ParseStop::MessageComplete;
  return HPE_PAUSED;
}

}  // namespace irulesd
