// Strict HTTP/1.1 (issue 6): every request-smuggling and malformed-message vector the parser must
// refuse, whether llhttp refuses it (its lenient flags stay off) or HttpParser's own checks do, and
// the near misses that must still pass. A refused request head becomes a 400 in the core
// (ProxyConnection::reject_request) with error_reason() in the log line.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "core/http_parser.h"
#include "core/http_syntax.h"

using namespace irulesd;
using Catch::Matchers::Equals;

namespace {

struct Outcome {
  ParseStop stop = ParseStop::NeedMore;
  std::string reason;     // error_reason() when stop is Error
  bool strict = false;    // the error is one of HttpParser's own checks, not llhttp's
  bool limit = false;
  int messages = 0;       // messages completed before the end or the error
};

// Feeds `wire` in pieces of `step` bytes (0: all at once), going on after each head and message as
// the proxy does, until an error or the end of the bytes.
Outcome parse(HttpParser::Kind kind, std::string_view wire, std::size_t step = 0) {
  HttpParser parser(kind);
  RequestHead request;
  ResponseHead response;
  parser.set_request_target(kind == HttpParser::Kind::Request ? &request : nullptr);
  parser.set_response_target(kind == HttpParser::Kind::Response ? &response : nullptr);
  std::string copy(wire);   // llhttp may look at the bytes it is given only
  Outcome out;
  std::size_t off = 0;
  while (off < copy.size()) {
    std::size_t n = step == 0 ? copy.size() - off : std::min(step, copy.size() - off);
    ParseResult r = parser.feed(copy.data() + off, n);
    off += r.consumed;
    out.stop = r.stop;
    if (r.stop == ParseStop::Error) {
      out.reason = parser.error_reason();
      out.strict = parser.strict_error() != nullptr;
      out.limit = parser.limit_exceeded();
      return out;
    }
    if (r.stop == ParseStop::MessageComplete) ++out.messages;
    if (r.stop == ParseStop::HeadComplete && parser.resume_after_head() == ParseStop::MessageComplete) {
      ++out.messages;
      out.stop = ParseStop::MessageComplete;
      parser.resume();
    } else if (r.stop != ParseStop::NeedMore) {
      parser.resume();
    }
  }
  return out;
}

Outcome request(std::string_view wire, std::size_t step = 0) { return parse(HttpParser::Kind::Request, wire, step); }
Outcome response(std::string_view wire, std::size_t step = 0) { return parse(HttpParser::Kind::Response, wire, step); }

// The reasons HttpParser gives (http_parser.cc, http_syntax.cc): a test that names one checks the
// exact text that goes into the log line.
constexpr const char* kObsFold = "obsolete line folding in a header field (RFC 9112 5.2)";
constexpr const char* kFieldName = "header field name is not a token (RFC 9110 5.1, RFC 9112 5.1)";
constexpr const char* kValueByte = "header field value holds a control character (RFC 9110 5.5)";
constexpr const char* kNoHost = "HTTP/1.1 request without a Host header (RFC 9112 3.2)";
constexpr const char* kRepeatedHost = "request with more than one Host header (RFC 9112 3.2)";
constexpr const char* kBadHost = "invalid Host header value (RFC 9112 3.2)";
constexpr const char* kHostNotAuthority =
    "Host differs from the authority of the absolute-form request-target (RFC 9112 3.2.2)";
constexpr const char* kTeOn10 = "Transfer-Encoding in an HTTP/1.0 message (RFC 9112 6.1)";
constexpr const char* kTeNotChunked = "request whose last transfer coding is not chunked (RFC 9112 6.3)";
constexpr const char* kVersion = "HTTP version other than 1.0 or 1.1";
constexpr const char* kChunkEnd = "chunk data not followed by CRLF (RFC 9112 7.1)";
constexpr const char* kNotVisible = "request-target holds a byte that is not visible ASCII (RFC 9112 3.2)";
constexpr const char* kFragment = "request-target holds a fragment (#) (RFC 9112 3.2)";
constexpr const char* kBadEscape = "request-target path holds a malformed percent-escape (RFC 3986 2.1)";
constexpr const char* kNoForm =
    "request-target is not origin-form, absolute-form, authority-form (CONNECT) or asterisk-form (OPTIONS) "
    "(RFC 9112 3.2)";
constexpr const char* kAsterisk = "asterisk-form request-target is for OPTIONS only (RFC 9112 3.2.4)";
constexpr const char* kConnect = "CONNECT request-target is not authority-form host:port (RFC 9112 3.2.3)";
constexpr const char* kScheme = "absolute-form request-target has a scheme other than http or https (RFC 9110 4.2)";
constexpr const char* kUserinfo = "absolute-form request-target carries userinfo (RFC 9110 4.2.4)";
constexpr const char* kAuthority = "absolute-form request-target has an invalid authority (RFC 9112 3.2.2)";

void require_refused_by_llhttp(std::string_view wire, const char* reason) {
  INFO(std::string(wire));
  Outcome out = request(wire);
  REQUIRE(out.stop == ParseStop::Error);
  CHECK_FALSE(out.strict);
  CHECK_FALSE(out.limit);
  CHECK(out.reason == reason);
}

void require_refused(std::string_view wire, const char* reason, std::size_t step = 0) {
  INFO(std::string(wire) << " (step " << step << ")");
  Outcome out = request(wire, step);
  REQUIRE(out.stop == ParseStop::Error);
  CHECK(out.strict);
  CHECK_FALSE(out.limit);
  CHECK(out.reason == reason);
}

void require_accepted(std::string_view wire, int messages = 1, std::size_t step = 0) {
  INFO(std::string(wire) << " (step " << step << ")");
  Outcome out = request(wire, step);
  CHECK(out.reason == "");
  REQUIRE(out.stop == ParseStop::MessageComplete);
  CHECK(out.messages == messages);
}

std::string get(std::string_view target, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

}  // namespace

TEST_CASE("llhttp's strict framing rules stay on: each smuggling vector is refused", "[core][http][strict]") {
  SECTION("Content-Length with Transfer-Encoding (CL.TE and TE.CL)") {
    require_refused_by_llhttp(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Content-Length can't be present with Transfer-Encoding");
    require_refused_by_llhttp(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "Content-Length can't be present with Transfer-Encoding");
  }
  SECTION("duplicate Content-Length, even with the same value, and a list of lengths") {
    require_refused_by_llhttp("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                              "Duplicate Content-Length");
    require_refused_by_llhttp("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
                              "Invalid character in Content-Length");
  }
  SECTION("chunked not the last coding, chunked twice") {
    require_refused_by_llhttp("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                              "Invalid `Transfer-Encoding` header value");
    require_refused_by_llhttp(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Invalid `Transfer-Encoding` header value");
  }
  SECTION("an unknown coding alone (no framing a backend agrees on)") {
    // llhttp finds these after its on_headers_complete, where HttpParser pauses to hand over the
    // head: HttpParser refuses them first, so that no such head is ever forwarded.
    require_refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n", kTeNotChunked);
    require_refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", kTeNotChunked);
    require_refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", kTeNotChunked);
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                    "Transfer-Encoding: foo\r\n\r\n",
                    kTeNotChunked);
    // A response may end a body of other codings with the connection (RFC 9112 6.3 item 4).
    CHECK(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz").stop == ParseStop::NeedMore);
  }
  SECTION("bare CR in the request line and in a value") {
    require_refused_by_llhttp("GET / HTTP/1.1\rHost: h\r\n\r\n", "Expected CRLF after version");
    require_refused_by_llhttp("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", "Missing expected LF after header value");
  }
  SECTION("bare LF ending a header line") {
    Outcome out = request("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n");
    REQUIRE(out.stop == ParseStop::Error);
  }
  SECTION("NUL in a value and in a name") {
    require_refused_by_llhttp(std::string_view("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35),
                              "Invalid header value char");
    require_refused_by_llhttp(std::string_view("GET / HTTP/1.1\r\nHost: h\r\nX\0Y: a\r\n\r\n", 34),
                              "Invalid header token");
  }
  SECTION("signed Content-Length") {
    require_refused_by_llhttp("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd",
                              "Invalid character in Content-Length");
    require_refused_by_llhttp("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -4\r\n\r\nabcd",
                              "Invalid character in Content-Length");
  }
  SECTION("0x chunk sizes, a blank after the size, a size that overflows") {
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    require_refused_by_llhttp(head + "0x5\r\nhello\r\n0\r\n\r\n", "Invalid character in chunk size");
    require_refused_by_llhttp(head + "5 \r\nhello\r\n0\r\n\r\n", "Invalid character in chunk size");
    require_refused_by_llhttp(head + "FFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n", "Chunk size overflow");
  }
  SECTION("whitespace before the colon (llhttp in strict mode, else HttpParser)") {
    Outcome out = request("GET / HTTP/1.1\r\nHost : h\r\n\r\n");
    REQUIRE(out.stop == ParseStop::Error);
    CHECK_THAT(out.reason, Equals(kFieldName) || Equals("Invalid header token") || Equals("Invalid header field char"));
    out = request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello");
    REQUIRE(out.stop == ParseStop::Error);
    CHECK_THAT(out.reason, Equals(kFieldName) || Equals("Invalid header token") || Equals("Invalid header field char"));
  }
}

TEST_CASE("obsolete line folding is refused wherever it comes", "[core][http][strict]") {
  SECTION("a value folded with SP or HTAB") {
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", kObsFold);
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", kObsFold);
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX: a \r\n \t b\r\n\r\n", kObsFold);
  }
  SECTION("an empty value folded onto the next line (llhttp reports only the folded part)") {
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX:\r\n b\r\n\r\n", kObsFold);
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n  b\r\nY: 1\r\n\r\n", kObsFold);
  }
  SECTION("a folded line of blanks only") {
    require_refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n \r\nY: 1\r\n\r\n", kObsFold);
  }
  SECTION("a fold that arrives one byte at a time, or split at every place") {
    const std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX:\r\n b\r\n\r\n";
    for (std::size_t step = 1; step <= wire.size(); ++step) require_refused(wire, kObsFold, step);
  }
  SECTION("folded Transfer-Encoding (the classic smuggling form)") {
    require_refused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", kObsFold);
  }
  SECTION("a fold in the trailers") {
    require_refused(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", kObsFold);
  }
  SECTION("a fold in a backend's response") {
    Outcome out = response("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(out.stop == ParseStop::Error);
    CHECK(out.reason == kObsFold);
  }
  SECTION("blanks inside a value are no fold, however the bytes arrive") {
    const std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX:  a  b\t c \r\nY:\t\r\n\r\n";
    for (std::size_t step = 0; step <= wire.size(); ++step) require_accepted(wire, 1, step);
  }
}

TEST_CASE("Host: required once in HTTP/1.1, at most once in HTTP/1.0, and well formed", "[core][http][strict]") {
  SECTION("missing") {
    require_refused("GET / HTTP/1.1\r\n\r\n", kNoHost);
    require_refused("GET / HTTP/1.1\r\nX-Host: h\r\n\r\n", kNoHost);
    require_refused("GET http://h/ HTTP/1.1\r\n\r\n", kNoHost);   // absolute-form still needs Host
    require_accepted("GET / HTTP/1.0\r\n\r\n");
  }
  SECTION("repeated, in any case, with equal or different values") {
    require_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", kRepeatedHost);
    require_refused("GET / HTTP/1.1\r\nHost: a\r\nhOsT: a\r\n\r\n", kRepeatedHost);
    require_refused("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", kRepeatedHost);
  }
  SECTION("the count starts over with each message on the connection") {
    require_accepted("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", 2);
  }
  SECTION("values that are no uri-host [:port]") {
    for (const char* bad : {"a b", "a/b", "a@b", "a?b", "a#b", "h:99999", "h:8x", "h:", "[::1", "[::g]", ":80",
                            "h:80:80", "\xc3\xa9t\xc3\xa9"}) {
      require_refused("GET / HTTP/1.1\r\nHost: " + std::string(bad) + "\r\n\r\n", kBadHost);
    }
  }
  SECTION("values that are") {
    for (const char* good : {"example.com", "example.com:8080", "127.0.0.1:80", "[::1]", "[::1]:443", "a-b_c~d.e",
                             "%41", ""}) {
      require_accepted("GET / HTTP/1.1\r\nHost: " + std::string(good) + "\r\n\r\n");
    }
    require_accepted("GET / HTTP/1.1\r\nHost: h \t\r\n\r\n");   // optional whitespace is not the value's
  }
}

TEST_CASE("Transfer-Encoding in an HTTP/1.0 message is refused", "[core][http][strict]") {
  require_refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kTeOn10);
  require_refused("POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", kTeOn10);
  Outcome out = response("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  REQUIRE(out.stop == ParseStop::Error);
  CHECK(out.reason == kTeOn10);
  // HTTP/1.1 chunked, request and response, stays fine.
  require_accepted("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").stop == ParseStop::MessageComplete);
}

TEST_CASE("HTTP versions other than 1.0 and 1.1 are refused", "[core][http][strict]") {
  require_refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", kVersion);
  Outcome out = response("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(out.stop == ParseStop::Error);
  CHECK(out.reason == kVersion);
  CHECK(request("GET / HTTP/1.2\r\nHost: h\r\n\r\n").stop == ParseStop::Error);   // llhttp's own
  CHECK(request("GET / HTTP/0.9\r\nHost: h\r\n\r\n").stop == ParseStop::Error);
  require_accepted("GET / HTTP/1.0\r\n\r\n");
}

TEST_CASE("request-target: the four forms and nothing else", "[core][http][strict]") {
  SECTION("origin-form") {
    for (const char* good : {"/", "/a/b.html", "//double", "/a?b=c&d=%20e", "/a?q=50%", "/a?x=1?y=2", "/%7Euser/",
                             "/a;p=1/b:c@d!$&'()*+,=", "/a?{json}[]|^`", "/a|b"}) {
      require_accepted(get(good));
    }
  }
  SECTION("absolute-form, http or https") {
    for (const char* good : {"http://h/a", "https://h/a?b", "HTTP://H", "http://h?q"}) require_accepted(get(good));
    require_accepted("GET http://127.0.0.1:80/ HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n");
    require_accepted("GET https://[::1]:8443/x HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
    require_refused(get("ftp://h/a"), kScheme);
    require_refused(get("ws://h/"), kScheme);
    require_refused(get("http://user:pw@h/"), kUserinfo);
    require_refused(get("http://h:99999/"), kAuthority);
    require_refused(get("http://h:x/"), kAuthority);
    require_refused(get("http://h/%zz"), kBadEscape);
  }
  SECTION("absolute-form: Host must name the same authority") {
    require_accepted("GET http://Example.com:8080/a HTTP/1.1\r\nHost: example.COM:8080 \r\n\r\n");
    require_refused("GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", kHostNotAuthority);
    require_refused("GET http://h:8080/ HTTP/1.1\r\nHost: h\r\n\r\n", kHostNotAuthority);
    require_refused("GET http://h/ HTTP/1.0\r\nHost: other\r\n\r\n", kHostNotAuthority);
    require_accepted("GET http://h/ HTTP/1.0\r\n\r\n");   // HTTP/1.0 may leave Host out
    CHECK(absolute_form_authority("http://h:1/x?y") == "h:1");
    CHECK(absolute_form_authority("/http://h/") == "");
    CHECK(absolute_form_authority("*") == "");
  }
  SECTION("authority-form is CONNECT's, and CONNECT has only it") {
    Outcome out = request("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n");
    CHECK(out.reason == "");
    CHECK(out.stop != ParseStop::Error);
    out = request("CONNECT [::1]:443 HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(out.stop != ParseStop::Error);
    require_refused(get("/", "CONNECT"), kConnect);
    require_refused(get("h", "CONNECT"), kConnect);
    require_refused(get("h:", "CONNECT"), kConnect);
    require_refused(get("http://h:443/", "CONNECT"), kConnect);
    require_refused(get("u@h:443", "CONNECT"), kConnect);
    CHECK(request(get("h:443")).stop == ParseStop::Error);   // llhttp refuses a GET in authority-form
  }
  SECTION("asterisk-form is OPTIONS' only") {
    require_accepted(get("*", "OPTIONS"));
    require_accepted(get("/", "OPTIONS"));
    require_refused(get("*"), kAsterisk);
    require_refused(get("*", "POST"), kAsterisk);
  }
  SECTION("bytes llhttp lets through: HTAB, form feed, obs-text") {
    require_refused(get("/a\tb"), kNotVisible);
    require_refused(get("/a\fb"), kNotVisible);
    require_refused(get("/a\xff"), kNotVisible);
    require_refused(get("/caf\xc3\xa9"), kNotVisible);
  }
  SECTION("a fragment, a malformed escape in the path") {
    require_refused(get("/a#frag"), kFragment);
    require_refused(get("/a?b#frag"), kFragment);
    require_refused(get("/%zz"), kBadEscape);
    require_refused(get("/a%4"), kBadEscape);
    require_refused(get("/a%"), kBadEscape);
    require_refused(get("/a%?q"), kBadEscape);
  }
  SECTION("a relative target") {
    CHECK(request(get("a/b")).stop == ParseStop::Error);   // llhttp's "Unexpected char in url schema"
  }
  SECTION("the checks alone, for the forms llhttp refuses before them") {
    CHECK(check_request_target("GET", "a/b") == std::string_view(kNoForm));
    CHECK(check_request_target("GET", "") == std::string_view(kNoForm));
    CHECK(check_request_target("GET", "h:443") == std::string_view(kNoForm));
    CHECK(check_request_target("GET", "://h/") == std::string_view(kNoForm));
    CHECK(check_request_target("GET", "1http://h/") == std::string_view(kNoForm));
    CHECK(check_request_target("GET", "http:///a") == std::string_view(kAuthority));
    CHECK(check_request_target("GET", "/a\x7f") == std::string_view(kNotVisible));
    CHECK(check_request_target("GET", "/a b") == std::string_view(kNotVisible));
    CHECK(check_request_target("CONNECT", "h:0") == nullptr);
    CHECK(check_request_target("OPTIONS", "*") == nullptr);
  }
}

TEST_CASE("header names must be tokens, values hold no control byte", "[core][http][strict]") {
  SECTION("names") {
    require_refused("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", kFieldName);
    CHECK(request("GET / HTTP/1.1\r\nHost: h\r\nX(Y: a\r\n\r\n").stop == ParseStop::Error);   // llhttp's own
    CHECK(request("GET / HTTP/1.1\r\nHost: h\r\nX\x01Y: a\r\n\r\n").stop == ParseStop::Error);
    CHECK(request("GET / HTTP/1.1\r\nHost: h\r\nX\xffY: a\r\n\r\n").stop == ParseStop::Error);
    require_accepted("GET / HTTP/1.1\r\nHost: h\r\nX-!#$%&'*+.^_`|~09aZ: a\r\n\r\n");
  }
  SECTION("values: DEL and the other control bytes (llhttp's own check; HttpParser's backs it)") {
    for (const char* bad : {"a\x7f", "a\x7f" "b", "a\x01" "b", "a\x1b" "b", "\x08"}) {
      for (std::size_t step : {0, 1}) {
        Outcome out = request("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(bad) + "\r\n\r\n", step);
        CHECK(out.stop == ParseStop::Error);
      }
    }
    CHECK(response("HTTP/1.1 200 OK\r\nX: \x7f\r\nContent-Length: 0\r\n\r\n").stop == ParseStop::Error);
    for (int c = 0; c < 256; ++c) {
      INFO(c);
      CHECK(is_field_value_byte(static_cast<unsigned char>(c)) == (c == '\t' || (c >= 0x20 && c != 0x7f)));
    }
  }
  SECTION("obs-text and HTAB inside a value are allowed (RFC 9110 5.5)") {
    require_accepted("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\ta\r\n\r\n");
  }
  SECTION("a trailer name with whitespace before the colon") {
    Outcome out = request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : a\r\n\r\n");
    REQUIRE(out.stop == ParseStop::Error);
    CHECK_THAT(out.reason, Equals(kFieldName) || Equals("Invalid header token") || Equals("Invalid header field char"));
  }
}

TEST_CASE("chunk data must be followed by CRLF", "[core][http][strict]") {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  SECTION("two other bytes where CRLF belongs (llhttp without strict mode skips them)") {
    for (std::size_t step = 0; step <= 8; ++step) {
      require_refused(head + "5\r\nhelloXX0\r\n\r\n", kChunkEnd, step);
      require_refused(head + "5\r\nhello\rX0\r\n\r\n", kChunkEnd, step);
      require_refused(head + "5\r\nhello\n\r0\r\n\r\n", kChunkEnd, step);
    }
  }
  SECTION("a chunk longer than its size (TE.CL's second request in the chunk)") {
    require_refused(head + "3\r\nhello\r\n0\r\n\r\n", kChunkEnd);
  }
  SECTION("in a response too") {
    Outcome out = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n");
    REQUIRE(out.stop == ParseStop::Error);
    CHECK(out.reason == kChunkEnd);
  }
  SECTION("well-framed chunks pass, however the bytes arrive") {
    const std::string wire = head + "5;ext=1\r\nhello\r\n1A\r\n" + std::string(26, 'x') + "\r\n0\r\nT: v\r\n\r\n" +
                             "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    for (std::size_t step = 0; step <= 12; ++step) require_accepted(wire, 2, step);
  }
}

TEST_CASE("a strict error stays until reset(), and is no limit", "[core][http][strict]") {
  HttpParser parser(HttpParser::Kind::Request);
  RequestHead head;
  parser.set_request_target(&head);
  std::string bad = "GET / HTTP/1.1\r\nX: a\r\n b\r\nHost: h\r\n\r\n";
  REQUIRE(parser.feed(bad.data(), bad.size()).stop == ParseStop::Error);
  CHECK(parser.error_reason() == std::string_view(kObsFold));
  CHECK_FALSE(parser.limit_exceeded());
  std::string good = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(parser.feed(good.data(), good.size()).stop == ParseStop::Error);
  parser.reset();
  CHECK(parser.strict_error() == nullptr);
  CHECK(parser.feed(good.data(), good.size()).stop == ParseStop::HeadComplete);
}

TEST_CASE("limits are still reported as limits, before the strict checks", "[core][http][strict]") {
  HttpParser parser(HttpParser::Kind::Request);
  RequestHead head;
  parser.set_request_target(&head);
  parser.set_limits(HeadLimits{32768, 2});
  std::string wire = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC : 3\r\n\r\n";   // no Host, a bad name: the count wins
  REQUIRE(parser.feed(wire.data(), wire.size()).stop == ParseStop::Error);
  CHECK(parser.limit_exceeded());
  CHECK(parser.limit_name() == "max-header-count");
}
