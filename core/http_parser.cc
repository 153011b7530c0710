#include "core/http_parser.h"

namespace irulesd {
namespace {
// Bytes a header line costs beyond its name and value: ": " and CRLF. Counting as the bytes arrive
// keeps the limit exact without holding the raw head.
constexpr std::size_t kHeaderLineOverhead = 4;
}  // namespace

HttpParser::HttpParser(Kind kind) : kind_(kind) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &HttpParser::on_message_begin;
  settings_.on_url = &HttpParser::on_url;
  settings_.on_status = &HttpParser::on_status;
  settings_.on_header_field = &HttpParser::on_header_field;
  settings_.on_header_value = &HttpParser::on_header_value;
  settings_.on_header_value_complete = &HttpParser::on_header_value_complete;
  settings_.on_headers_complete = &HttpParser::on_headers_complete;
  settings_.on_message_complete = &HttpParser::on_message_complete;
  settings_.on_body = &HttpParser::on_body;
  reset();
}

ParseResult HttpParser::feed(const char* data, std::size_t len) {
  pause_reason_ = ParseStop::NeedMore;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) return {ParseStop::NeedMore, len};
  if (err == HPE_PAUSED) {
    const char* pos = llhttp_get_error_pos(&parser_);
    return {pause_reason_, static_cast<std::size_t>(pos - data)};
  }
  if (err == HPE_PAUSED_UPGRADE && pause_reason_ == ParseStop::NeedMore) {
    // llhttp stops after a message that asked to switch protocols, once we resume from its
    // MessageComplete. Bytes are fed to us after that only when the switch did not happen (a
    // granted one turns the connection into a tunnel), so they are HTTP again.
    const char* pos = llhttp_get_error_pos(&parser_);
    llhttp_resume_after_upgrade(&parser_);
    std::size_t skipped = static_cast<std::size_t>(pos - data);
    ParseResult rest = feed(pos, len - skipped);
    rest.consumed += skipped;
    return rest;
  }
  return {ParseStop::Error, 0};
}

ParseStop HttpParser::resume_after_head() {
  resume();
  static const char kNothing = 0;
  return feed(&kNothing, 0).stop;
}

void HttpParser::reset() {
  llhttp_init(&parser_, kind_ == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings_);
  parser_.data = this;
  in_head_ = true;
  message_begun_ = false;
  limit_exceeded_ = false;
  limit_name_.clear();
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
  const char* reason = llhttp_get_error_reason(&parser_);
  return reason ? reason : llhttp_errno_name(llhttp_get_errno(&parser_));
}

int HttpParser::fail_limit(const char* name) {
  limit_exceeded_ = true;
  limit_name_ = name;
  llhttp_set_error_reason(&parser_, name);
  return HPE_USER;
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
  s.field_.clear();
  s.value_.clear();
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
  s.field_.append(at, len);
  return s.count_head_bytes(len);
}

int HttpParser::on_header_value(llhttp_t* p, const char* at, std::size_t len) {
  HttpParser& s = self(p);
  s.value_.append(at, len);
  return s.count_head_bytes(len);
}

int HttpParser::on_header_value_complete(llhttp_t* p) {
  HttpParser& s = self(p);
  if (++s.header_count_ > s.limits_.max_header_count) return s.fail_limit("max-header-count");
  HeaderList* headers = s.request_ ? &s.request_->headers : s.response_ ? &s.response_->headers : nullptr;
  if (headers) headers->add(s.field_, s.value_);
  s.field_.clear();
  s.value_.clear();
  return s.count_head_bytes(kHeaderLineOverhead);
}

int HttpParser::on_headers_complete(llhttp_t* p) {
  HttpParser& s = self(p);
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
