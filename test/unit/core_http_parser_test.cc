#include <catch2/catch.hpp>

#include <string>

#include "core/http_codec.h"
#include "core/http_parser.h"

using namespace irulesd;

namespace {
struct RequestFixture {
  HttpParser parser{HttpParser::Kind::Request};
  RequestHead head;
  RequestFixture() { parser.set_request_target(&head); }
};
}  // namespace

TEST_CASE("request head pauses at its end, body bytes are left for the caller", "[core][http]") {
  RequestFixture f;
  std::string wire = "POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(r.consumed == wire.size() - 5);
  REQUIRE(f.head.method == "POST");
  REQUIRE(f.head.uri == "/a?b=1");
  REQUIRE(f.head.version_minor == 1);
  REQUIRE(f.head.headers.values("X-A") == std::vector<std::string>{"1", "2"});
  f.parser.resume();
  ParseResult body = f.parser.feed(wire.data() + r.consumed, 5);
  REQUIRE(body.stop == ParseStop::MessageComplete);
  REQUIRE(body.consumed == 5);
  REQUIRE(f.parser.keep_alive());
}

TEST_CASE("a head split across reads is joined", "[core][http]") {
  RequestFixture f;
  std::string wire = "GET /split HTTP/1.1\r\nHost: example\r\nX-Long-Header: abcdef\r\n\r\n";
  ParseResult r{};
  std::size_t off = 0;
  for (; off < wire.size(); ++off) {   // one byte at a time
    r = f.parser.feed(wire.data() + off, 1);
    if (r.stop != ParseStop::NeedMore) break;
  }
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(off == wire.size() - 1);
  REQUIRE(*f.head.headers.last_value("x-long-header") == "abcdef");
  REQUIRE(f.head.uri == "/split");
}

TEST_CASE("pipelined requests come out one at a time", "[core][http]") {
  RequestFixture f;
  std::string wire = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(f.head.uri == "/1");
  std::size_t off = r.consumed;
  f.parser.resume();
  r = f.parser.feed(wire.data() + off, wire.size() - off);
  REQUIRE(r.stop == ParseStop::MessageComplete);
  off += r.consumed;
  f.parser.resume();
  r = f.parser.feed(wire.data() + off, wire.size() - off);
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(f.head.uri == "/2");
  REQUIRE(f.head.headers.size() == 1);
}

TEST_CASE("malformed request line is an error, not a limit", "[core][http]") {
  RequestFixture f;
  std::string wire = "GARBAGE\r\n\r\n";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::Error);
  REQUIRE_FALSE(f.parser.limit_exceeded());
}

TEST_CASE("header section over max-header-size is a named limit", "[core][http]") {
  RequestFixture f;
  f.parser.set_limits(HeadLimits{1024, 64});
  std::string wire = "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::Error);
  REQUIRE(f.parser.limit_exceeded());
  REQUIRE(f.parser.limit_name() == "max-header-size");
}

TEST_CASE("a head just under max-header-size passes", "[core][http]") {
  RequestFixture f;
  f.parser.set_limits(HeadLimits{1024, 64});
  std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(890, 'a') + "\r\n\r\n";
  REQUIRE(f.parser.feed(wire.data(), wire.size()).stop == ParseStop::HeadComplete);
}

TEST_CASE("more headers than max-header-count is a named limit", "[core][http]") {
  RequestFixture f;
  f.parser.set_limits(HeadLimits{32768, 3});
  std::string wire = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::Error);
  REQUIRE(f.parser.limit_name() == "max-header-count");
}

TEST_CASE("chunked body bytes are passed through with their framing", "[core][http]") {
  RequestFixture f;
  std::string head = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  std::string wire = head + body;
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(r.consumed == head.size());
  f.parser.resume();
  r = f.parser.feed(wire.data() + head.size(), body.size());
  REQUIRE(r.stop == ParseStop::MessageComplete);
  REQUIRE(r.consumed == body.size());
}

TEST_CASE("a refused upgrade parses on as HTTP", "[core][http]") {
  RequestFixture f;
  std::string first = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  std::string second = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  ParseResult r = f.parser.feed(first.data(), first.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(f.parser.upgrade());
  f.parser.resume();
  r = f.parser.feed(first.data() + r.consumed, first.size() - r.consumed);
  REQUIRE(r.stop == ParseStop::MessageComplete);
  f.parser.resume();
  r = f.parser.feed(second.data(), second.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(f.head.uri == "/next");
}

TEST_CASE("a response to HEAD has no body whatever its Content-Length says", "[core][http]") {
  HttpParser parser{HttpParser::Kind::Response};
  ResponseHead head;
  parser.set_response_target(&head);
  parser.set_expect_no_body(true);
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  ParseResult r = parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(head.status == 200);
  REQUIRE(head.reason == "OK");
  parser.resume();
  r = parser.feed(wire.data() + r.consumed, 0);
  REQUIRE(r.stop == ParseStop::MessageComplete);
}

TEST_CASE("a response delimited by EOF completes on finish()", "[core][http]") {
  HttpParser parser{HttpParser::Kind::Response};
  ResponseHead head;
  parser.set_response_target(&head);
  std::string wire = "HTTP/1.0 200 OK\r\n\r\nbody until close";
  ParseResult r = parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  parser.resume();
  r = parser.feed(wire.data() + r.consumed, wire.size() - r.consumed);
  REQUIRE(r.stop == ParseStop::NeedMore);
  REQUIRE(parser.finish());
}

TEST_CASE("heads serialize back in order with edits", "[core][http]") {
  RequestHead req;
  req.method = "GET";
  req.uri = "/x";
  req.headers.add("Host", "h");
  req.headers.add("X-B", "2");
  std::string out;
  serialize_request_head(req, out);
  REQUIRE(out == "GET /x HTTP/1.1\r\nHost: h\r\nX-B: 2\r\n\r\n");
  ResponseHead resp;
  resp.status = 404;
  resp.reason = "Not Found";
  resp.headers.add("Content-Length", "0");
  out.clear();
  serialize_response_head(resp, out);
  REQUIRE(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("a request without body completes without more bytes", "[core][http]") {
  RequestFixture f;
  std::string wire = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ParseResult r = f.parser.feed(wire.data(), wire.size());
  REQUIRE(r.stop == ParseStop::HeadComplete);
  REQUIRE(r.consumed == wire.size());
  REQUIRE(f.parser.resume_after_head() == ParseStop::MessageComplete);
  REQUIRE(f.parser.between_messages());
}

TEST_CASE("a request with a body does not complete before its bytes", "[core][http]") {
  RequestFixture f;
  std::string wire = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  REQUIRE(f.parser.feed(wire.data(), wire.size()).stop == ParseStop::HeadComplete);
  REQUIRE(f.parser.resume_after_head() == ParseStop::NeedMore);
  REQUIRE_FALSE(f.parser.between_messages());
  REQUIRE(f.parser.feed("abc", 3).stop == ParseStop::MessageComplete);
}
