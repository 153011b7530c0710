// What the libFuzzer targets of test/fuzz/ found, as ordinary cases, so that the normal suite (gcc)
// keeps each fixed. Each case names its input in test/fuzz/regressions/<target>/, which the fuzz
// targets replay (scripts/fuzz --replay).
#include <catch2/catch.hpp>

#include <string>

#include <tcl.h>

#include "core/config.h"
#include "core/http_codec.h"
#include "core/http_parser.h"
#include "tclext/f5_dialect.h"
#include "tclext/f5_operators.h"

using namespace irulesd;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// Parses a whole response; the stop of the last feed and the body (chunk framing removed).
struct ParsedResponse {
  ParseStop stop = ParseStop::NeedMore;
  std::size_t consumed = 0;
  ResponseHead head;
  std::string body;
};

ParsedResponse parse_response(const std::string& wire) {
  ParsedResponse out;
  HttpParser parser(HttpParser::Kind::Response);
  parser.set_response_target(&out.head);
  parser.set_body_sink(&out.body);
  ParseResult r = parser.feed(wire.data(), wire.size());
  out.stop = r.stop;
  out.consumed = r.consumed;
  if (r.stop != ParseStop::HeadComplete) return out;
  out.stop = parser.resume_after_head();
  if (out.stop == ParseStop::MessageComplete) return out;
  r = parser.feed(wire.data() + out.consumed, wire.size() - out.consumed);
  out.stop = r.stop;
  out.consumed += r.consumed;
  return out;
}

// One expression in BIG-IP's dialect, translated and evaluated as a rule's would be.
std::string eval_f5_expr(const std::string& dialect) {
  Tcl_Interp* interp = Tcl_CreateInterp();
  tclext::register_f5_operators(interp);
  std::string script = tclext::translate_f5_dialect(dialect);
  int code = Tcl_EvalEx(interp, script.c_str(), -1, 0);
  std::string result = (code == TCL_OK ? "" : "error: ") + std::string(Tcl_GetStringResult(interp));
  Tcl_DeleteInterp(interp);
  return result;
}

}  // namespace

// regressions/http_codec/respond-transfer-encoding: HTTP::respond 200 content … Transfer-Encoding
// chunked went out with both Transfer-Encoding and the real Content-Length, and an unchunked body.
TEST_CASE("fuzz: a rule's Transfer-Encoding is dropped from HTTP::respond, which frames by Content-Length",
          "[fuzz][http]") {
  LocalResponse response;
  response.status = 200;
  response.body = "5\r\nhello\r\n0\r\n\r\n";
  response.headers.add("Transfer-Encoding", "chunked");
  response.headers.add("transfer-encoding", "gzip, chunked");
  response.headers.add("X-Kept", "1");
  std::string wire;
  serialize_local_response(response, true, false, wire);
  CHECK(wire ==
        "HTTP/1.1 200 OK\r\nX-Kept: 1\r\nServer: BigIP\r\nContent-Length: 15\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ParsedResponse parsed = parse_response(wire);
  REQUIRE(parsed.stop == ParseStop::MessageComplete);
  CHECK(parsed.consumed == wire.size());
  CHECK(parsed.body == response.body);

  SECTION("nor does it reach a bodiless answer") {
    response.status = 204;
    wire.clear();
    serialize_local_response(response, true, false, wire);
    CHECK(occurrences(wire, "ransfer-") == 0);
    CHECK(wire == "HTTP/1.1 204 No Content\r\nX-Kept: 1\r\nServer: BigIP\r\n\r\n");
  }
}

// regressions/config_parser/multiline-quoted-word-message: a quoted word spanning lines, quoted in an
// error message, split `FILE:LINE: message` over two lines of --check output and of the log.
TEST_CASE("fuzz: a config error quoting text that spans lines stays on one line", "[fuzz][config]") {
  ConfigLoadResult result = parse_config("\"1\n\"\x02", "bigip.conf", "/nonexistent");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].str() == "bigip.conf:2: extra characters after the closing quote of \"1\\n\"");

  SECTION("an object's error as well") {
    result = parse_config("ltm pool /Common/p {\n    \"two\nlines\" 1\n}\n", "bigip.conf", "/nonexistent");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].str() == "bigip.conf:2: ltm pool /Common/p: unknown property \"two\\nlines\"");
  }
}

// regressions/f5_operators/regex-pattern-dash: a pattern that looks like a regexp switch is a pattern.
TEST_CASE("fuzz: matches_regex takes a pattern starting with - as a pattern", "[fuzz][tclext]") {
  CHECK(eval_f5_expr("expr {\"a-b\" matches_regex \"-\"}") == "1");
  CHECK(eval_f5_expr("expr {\"-nocase\" matches_regex \"-nocase\"}") == "1");
  CHECK(eval_f5_expr("expr {\"ABC\" matches_regex \"-nocase\"}") == "0");
  CHECK(eval_f5_expr("expr {\"x\" matches_regex \"(\"}").rfind("error: couldn't compile regular expression", 0) == 0);
}
