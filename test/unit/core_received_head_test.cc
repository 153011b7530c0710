// Headers are slices of the head's bytes as received, and a head nothing changed is forwarded as those
// bytes (core/header_list.h, core/http_parser.h, core/http_codec.h).
#include <catch2/catch.hpp>

#include <string>

#include "core/http_codec.h"
#include "core/http_parser.h"

using namespace irulesd;

namespace {
struct Request {
  HttpParser parser{HttpParser::Kind::Request};
  RequestHead head;
  Request() { parser.set_request_target(&head); }
  // Feeds `wire` in pieces of `step` bytes until the head is complete; returns the bytes it took.
  std::size_t head_of(const std::string& wire, std::size_t step) {
    std::size_t off = 0;
    while (off < wire.size()) {
      ParseResult r = parser.feed(wire.data() + off, std::min(step, wire.size() - off));
      off += r.consumed;
      if (r.stop == ParseStop::HeadComplete) return off;
      REQUIRE(r.stop == ParseStop::NeedMore);
    }
    FAIL("the head never completed");
    return 0;
  }
  std::string forwarded() {
    std::string scratch;
    return std::string(request_head_bytes(head, scratch));
  }
};

struct Response {
  HttpParser parser{HttpParser::Kind::Response};
  ResponseHead head;
  Response() { parser.set_response_target(&head); }
};

const std::string kHead =
    "GET /a/b?c=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent:  spaced\r\nAccept: */*\r\nX-Empty:\r\n\r\n";
}  // namespace

TEST_CASE("an unchanged head goes out byte for byte as it came, whatever the reads' sizes", "[core][http]") {
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, kHead.size()}) {
    Request r;
    REQUIRE(r.head_of(kHead, step) == kHead.size());
    CHECK(r.head.headers.received_head() == kHead);
    CHECK(r.forwarded() == kHead);
    // The slices are the values llhttp reported (blanks around a value are not part of it).
    CHECK(*r.head.headers.last_value("user-agent") == "spaced");
    CHECK(*r.head.headers.last_value("X-Empty") == "");
    CHECK(r.head.headers.items()[0].name.data() >= r.head.headers.received_data());
  }
}

TEST_CASE("the received head stops where the body starts", "[core][http]") {
  Request r;
  const std::string head = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  REQUIRE(r.head_of(head + "hello", 4096) == head.size());
  CHECK(r.head.headers.received_head() == head);
}

TEST_CASE("an edited head is serialized anew", "[core][http]") {
  const std::string serialized_insert =
      "GET /a/b?c=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: spaced\r\nAccept: */*\r\nX-Empty: \r\nX-New: 1\r\n\r\n";
  SECTION("a header inserted") {
    Request r;
    r.head_of(kHead, 4096);
    r.head.headers.add("X-New", "1");
    CHECK(r.head.headers.received_head().empty());
    CHECK(r.forwarded() == serialized_insert);
  }
  SECTION("a header replaced with the value it had still counts as edited") {
    Request r;
    r.head_of(kHead, 4096);
    r.head.headers.replace("Accept", "*/*");
    CHECK(r.forwarded().find("User-Agent: spaced\r\n") != std::string::npos);
  }
  SECTION("the URI changed") {
    Request r;
    r.head_of(kHead, 4096);
    r.head.uri = "/other";
    CHECK(r.forwarded().rfind("GET /other HTTP/1.1\r\nHost: example.test\r\n", 0) == 0);
  }
  SECTION("the version changed") {
    Request r;
    r.head_of(kHead, 4096);
    r.head.version_minor = 0;
    CHECK(r.forwarded().rfind("GET /a/b?c=1 HTTP/1.0\r\n", 0) == 0);
  }
}

TEST_CASE("a head with a bare LF line end is forwarded with CRLF only", "[core][http]") {
  Request r;
  const std::string wire = "GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n";
  ParseResult result = r.parser.feed(wire.data(), wire.size());
  if (result.stop == ParseStop::Error) return;   // this llhttp refuses bare LF: nothing to forward
  REQUIRE(result.stop == ParseStop::HeadComplete);
  CHECK(r.head.headers.received_head().empty());
  CHECK(r.forwarded() == "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n");
}

TEST_CASE("edits keep the other headers' slices and never disturb values read before", "[core][http]") {
  Request r;
  r.head_of(kHead, 5);
  const std::string_view host = *r.head.headers.last_value("Host");
  r.head.headers.set_at(2, "Accept", "text/plain");
  r.head.headers.remove_at(3);
  r.head.headers.replace("Host", "other.test");
  CHECK(host == "example.test");   // the old value's bytes are still there
  REQUIRE(r.head.headers.size() == 3);
  CHECK(r.head.headers.items()[1].value == "spaced");
  CHECK(*r.head.headers.last_value("Accept") == "text/plain");
  CHECK(*r.head.headers.last_value("Host") == "other.test");
}

TEST_CASE("copies and moves of a head keep their headers on their own", "[core][http]") {
  Request r;
  r.head_of(kHead, 4096);
  r.head.headers.add("X-Set", "by a rule");
  RequestHead copy = r.head;
  RequestHead moved = std::move(r.head);
  r.head = RequestHead{};
  r.parser.reset();
  const std::string next = "GET /n HTTP/1.1\r\nHost: overwritten-bytes\r\n\r\n";
  r.head_of(next, 4096);   // the parser's list now holds other bytes
  for (const RequestHead* h : {&copy, &moved}) {
    CHECK(*h->headers.last_value("Host") == "example.test");
    CHECK(*h->headers.last_value("X-Set") == "by a rule");
    CHECK(h->headers.size() == 5);
  }
  // A short list (no heap buffer: its bytes move with it) is rebased too.
  HeaderList tiny;
  tiny.append_received("A: b", 4);
  tiny.add_received(0, 1, 3, 1);
  HeaderList moved_tiny = std::move(tiny);
  CHECK(moved_tiny.items()[0].name == "A");
  CHECK(moved_tiny.items()[0].value == "b");
  CHECK(moved_tiny.items()[0].name.data() == moved_tiny.received_data());
}

TEST_CASE("pipelined heads each get their own received bytes", "[core][http]") {
  Request r;
  const std::string first = "GET /1 HTTP/1.1\r\nHost: one\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: two\r\nX-B: 2\r\n\r\n";
  const std::string wire = first + second;
  ParseResult a = r.parser.feed(wire.data(), wire.size());
  REQUIRE(a.stop == ParseStop::HeadComplete);
  CHECK(r.head.headers.received_head() == first);
  REQUIRE(r.parser.resume_after_head() == ParseStop::MessageComplete);
  r.parser.resume();
  ParseResult b = r.parser.feed(wire.data() + a.consumed, wire.size() - a.consumed);
  REQUIRE(b.stop == ParseStop::HeadComplete);
  CHECK(r.head.headers.received_head() == second);
  CHECK(*r.head.headers.last_value("Host") == "two");
}

TEST_CASE("a head whose raw bytes run far past max-header-size is refused without holding them", "[core][http]") {
  Request r;
  r.parser.set_limits(HeadLimits{1024, 64});
  // Blanks around a value are not counted by the limit; the received copy stops at the limit + 4 KiB.
  std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad:" + std::string(8000, ' ') + "v\r\n\r\n";
  ParseResult result = r.parser.feed(wire.data(), wire.size());
  REQUIRE(result.stop == ParseStop::Error);
  CHECK(r.parser.limit_exceeded());
  CHECK(r.parser.limit_name() == "max-header-size");
  CHECK(r.head.headers.received_size() <= 1024 + 4096);
}

TEST_CASE("a response head nothing changed goes out as received, a changed status does not", "[core][http]") {
  const std::string head = "HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 2\r\n\r\n";
  Response r;
  const std::string wire = head + "ok";
  ParseResult result = r.parser.feed(wire.data(), wire.size());
  REQUIRE(result.stop == ParseStop::HeadComplete);
  std::string scratch;
  CHECK(response_head_bytes(r.head, scratch) == head);
  r.head.status = 404;
  CHECK(std::string(response_head_bytes(r.head, scratch)).rfind("HTTP/1.1 404 OK\r\n", 0) == 0);
}

TEST_CASE("trailers are parsed where they arrive and kept as copies", "[core][http]") {
  Request r;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n";
  REQUIRE(r.head_of(head + body, 4096) == head.size());
  r.parser.resume();
  std::string wire = body;
  ParseResult result = r.parser.feed(wire.data(), wire.size());
  REQUIRE(result.stop == ParseStop::MessageComplete);
  wire.assign(wire.size(), '#');   // the read buffer is reused
  CHECK(*r.head.headers.last_value("X-Trailer") == "t");
}

TEST_CASE("a feed while paused at the end of a head consumes nothing and copies nothing", "[core][http]") {
  Request r;
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  REQUIRE(r.head_of(head, 4096) == head.size());
  const std::string more = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  ParseResult again = r.parser.feed(more.data(), more.size());
  CHECK(again.stop == ParseStop::NeedMore);
  CHECK(again.consumed == 0);
  CHECK(r.head.headers.received_head() == head);
  CHECK(r.head.uri == "/");
}
