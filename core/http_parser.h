// llhttp wrapper that parses one HTTP/1.x message head at a time into a RequestHead/ResponseHead and
// pauses at the two points where the proxy must act: the end of the head and the end of the message.
// Body bytes are not copied: the caller forwards the raw bytes it fed (chunk framing included).
//
// Strict HTTP/1.1: llhttp's lenient flags stay off, so it refuses Content-Length with
// Transfer-Encoding, duplicate Content-Length, `chunked` not last, unknown codings, bare CR, NUL,
// signed lengths and `0x` chunk sizes. What Debian's llhttp (built without LLHTTP_STRICT_MODE) lets
// through is refused here, each with an error_reason() that names the rule: obsolete line folding,
// header names that are not tokens (whitespace before the colon), control bytes in values, a missing
// or repeated Host in a request, Transfer-Encoding in an HTTP/1.0 message, request-targets of the
// wrong form (http_syntax.h), versions other than 1.0/1.1, and chunk data not followed by CRLF.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <llhttp.h>

#include "core/transaction.h"

namespace irulesd {

// Why a feed() stopped before the end of its input (or that it consumed everything).
enum class ParseStop {
  NeedMore,         // every byte consumed; the message goes on in the next read
  HeadComplete,     // paused right after the head; `consumed` bytes belong to the head (or earlier)
  MessageComplete,  // paused right after the last byte of the message
  Error,            // malformed input or a limit: see error_reason() / limit_exceeded()
};

struct ParseResult {
  ParseStop stop = ParseStop::NeedMore;
  std::size_t consumed = 0;   // bytes of the input that were parsed
};

struct HeadLimits {
  std::size_t max_header_size = 32768;  // request/status line + header lines, as they arrive
  std::size_t max_header_count = 64;
};

class HttpParser {
 public:
  enum class Kind { Request, Response };
  explicit HttpParser(Kind kind);
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  void set_limits(const HeadLimits& limits) { limits_ = limits; }
  // Where parsed heads go. A request parser fills a RequestHead, a response parser a ResponseHead.
  void set_request_target(RequestHead* head) { request_ = head; }
  void set_response_target(ResponseHead* head) { response_ = head; }
  // For a response parser: the answered request was HEAD, so the response has no body.
  void set_expect_no_body(bool no_body) { expect_no_body_ = no_body; }

  // The head's bytes are copied into the target's HeaderList (its headers are slices of them); body
  // bytes are parsed in place.
  ParseResult feed(const char* data, std::size_t len);
  // The peer closed: completes a message delimited by EOF. Returns true if it completed one.
  bool finish();
  // Continue after HeadComplete / MessageComplete.
  void resume();
  // resume() after HeadComplete, then let a message without body complete at once: llhttp reports
  // the end of such a message only when it runs again, and no more bytes may ever come.
  ParseStop resume_after_head();
  // Start over, e.g. for a new server connection's response stream.
  void reset();

  bool keep_alive() const { return llhttp_should_keep_alive(&parser_) != 0; }
  // While set, the body's payload (chunk framing removed) is appended here as it is parsed:
  // HTTP::collect. The raw bytes are still reported as consumed.
  void set_body_sink(std::string* sink) { body_sink_ = sink; }
  // At HeadComplete: whether a body follows, and whether it is chunked.
  bool body_follows() const {
    return chunked() || parser_.content_length > 0 ||
           (kind_ == Kind::Response && !expect_no_body_ && llhttp_message_needs_eof(&parser_) != 0);
  }
  bool chunked() const { return (parser_.flags & F_CHUNKED) != 0; }
  // True once a head asked for a protocol switch (Upgrade + Connection: upgrade, or CONNECT).
  bool upgrade() const { return parser_.upgrade != 0; }
  bool in_head() const { return in_head_; }
  // No byte of a next message has arrived since the last one completed.
  bool between_messages() const { return !message_begun_; }
  bool limit_exceeded() const { return limit_exceeded_; }
  const std::string& limit_name() const { return limit_name_; }
  const char* error_reason() const;
  // Set when the error is one of the strict rules above (llhttp itself found nothing wrong).
  const char* strict_error() const { return strict_error_; }

 private:
  static int on_message_begin(llhttp_t* p);
  static int on_url(llhttp_t* p, const char* at, std::size_t len);
  static int on_status(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_field(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_value(llhttp_t* p, const char* at, std::size_t len);
  static int on_header_value_complete(llhttp_t* p);
  static int on_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, std::size_t len);
  static int on_message_complete(llhttp_t* p);
  static HttpParser& self(llhttp_t* p) { return *static_cast<HttpParser*>(p->data); }
  // A header name or value as llhttp reports it, in one or more pieces: an offset and length in the
  // received head while the pieces are adjacent there; a copy otherwise (trailers, which are parsed
  // where they arrive, or pieces that are not adjacent).
  struct FieldSpan {
    std::size_t at = 0;
    std::size_t len = 0;
    bool copied = false;
    std::string copy;
    void add(const char* data, std::size_t n, const char* base);
    std::string_view view(const char* base) const;
    bool in_received() const { return !copied; }
    void clear() {
      at = len = 0;
      copied = false;
      copy.clear();
    }
  };
  HeaderList* head_target() const;
  static const llhttp_settings_t& settings();
  ParseResult execute(const char* data, std::size_t len);
  void clear_field() {
    field_.clear();
    value_.clear();
  }
  int count_head_bytes(std::size_t len);
  int fail_limit(const char* name);
  int fail_strict(const char* reason);
  void note_consumed(const char* data, std::size_t len);
  bool follows_line_break(const char* at) const;
  int check_chunk_end(const char* from);
  int check_field(std::string_view name, std::string_view value);
  int check_request_head(const llhttp_t* p);

  llhttp_t parser_;

  Kind kind_;
  HeadLimits limits_;
  RequestHead* request_ = nullptr;
  ResponseHead* response_ = nullptr;
  bool expect_no_body_ = false;
  std::string* body_sink_ = nullptr;
  bool in_head_ = true;
  bool message_begun_ = false;
  FieldSpan field_;
  FieldSpan value_;
  const char* received_base_ = nullptr;   // while a head is parsed: its received bytes (see feed)
  std::size_t head_bytes_ = 0;
  std::size_t header_count_ = 0;
  bool limit_exceeded_ = false;
  std::string limit_name_;
  ParseStop pause_reason_ = ParseStop::NeedMore;
  // Strict checks that look at the raw bytes around llhttp's spans.
  const char* strict_error_ = nullptr;
  const char* feed_begin_ = nullptr;   // the buffer of the running feed()
  const char* feed_end_ = nullptr;
  char last_non_blank_ = '\n';        // last byte other than SP/HTAB of the feeds before this one
  std::size_t crlf_next_ = 2;          // index in "\r\n" of the next byte due after chunk data; 2: none due
  std::size_t host_count_ = 0;
};

}  // namespace irulesd
