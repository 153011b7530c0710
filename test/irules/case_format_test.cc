// The runner's own pieces, without sockets: the case-file parser and its errors, the line-end rules
// of message sections, the display form and diff of failure reports, and HTTP message framing.
#include <catch2/catch.hpp>

#include "test/irules/case_file.h"
#include "test/irules/case_text.h"
#include "test/irules/http_peers.h"

using namespace irulesd::cases;

namespace {

std::vector<std::string> errors_of(const std::string& text) { return parse_case_file("t.cases", text).errors; }

}  // namespace

TEST_CASE("case files: sections in order, descriptions and trailing blank lines dropped", "[irules-format]") {
  CaseFile f = parse_case_file("dir/topic.cases",
                               "# preamble comment\n"
                               "\n"
                               "=== case first one\n"
                               "a description line\n"
                               "--- rule r\n"
                               "when HTTP_REQUEST { }\n"
                               "\n"
                               "--- client new raw\n"
                               "GET / HTTP/1.1\\r\\n\\r\\n\n"
                               "--- expect-client partial\n"
                               "HTTP/1.1 200 OK\n"
                               "\n"
                               "\n"
                               "=== case second\n"
                               "--- expect-log\n");
  REQUIRE(f.errors.empty());
  REQUIRE(f.cases.size() == 2);
  const Case& c = f.cases[0];
  CHECK(c.test_name() == "topic: first one");
  CHECK(c.line == 3);
  REQUIRE(c.sections.size() == 3);
  CHECK(c.sections[0].kind == SectionKind::Rule);
  CHECK(c.sections[0].arg == "r");
  CHECK(c.sections[0].line == 5);
  CHECK(c.sections[0].text() == "when HTTP_REQUEST { }\n");
  CHECK(c.sections[1].raw);
  CHECK(c.sections[1].new_connection);
  CHECK_FALSE(c.sections[0].new_connection);
  CHECK(c.sections[2].partial);
  CHECK(c.sections[2].lines == std::vector<std::string>{"HTTP/1.1 200 OK"});
  CHECK(f.cases[1].first(SectionKind::ExpectLog) != nullptr);
  CHECK(f.cases[1].first(SectionKind::Client) == nullptr);
}

TEST_CASE("case files: every format error names its line", "[irules-format]") {
  CHECK(errors_of("stray text\n") == std::vector<std::string>{"t.cases:1: text outside a case (comments start with #)"});
  CHECK(errors_of("--- client\n") ==
        std::vector<std::string>{"t.cases:1: section outside a case (a case starts with \"=== case NAME\")"});
  CHECK(errors_of("=== test x\n") == std::vector<std::string>{"t.cases:1: expected \"=== case NAME\""});
  CHECK(errors_of("=== case a;b\n") ==
        std::vector<std::string>{"t.cases:1: case name \"a;b\" must be letters, digits, spaces and _ . , : / ( ) + = < > ' - (not empty)"});
  CHECK(errors_of("=== case a\n=== case a\n") == std::vector<std::string>{"t.cases:2: duplicate case name \"a\""});
  CHECK(errors_of("=== case a\n--- clients\n") ==
        std::vector<std::string>{"t.cases:2: unknown section \"clients\" (known: rule, config, virtual, client, backend, "
                                 "expect-backend, expect-client, expect-log, expect-load-error, expect-failure, tcp)"});
  CHECK(errors_of("=== case a\n--- rule\n") ==
        std::vector<std::string>{"t.cases:2: --- rule needs a NAME of letters, digits, _ - ."});
  CHECK(errors_of("=== case a\n--- rule r\n--- rule r\n") == std::vector<std::string>{"t.cases:3: rule r is defined twice"});
  CHECK(errors_of("=== case a\n--- client partial\n") ==
        std::vector<std::string>{"t.cases:2: section client does not take \"partial\""});
  CHECK(errors_of("=== case a\n--- backend new\n") ==
        std::vector<std::string>{"t.cases:2: section backend does not take \"new\""});
  CHECK(errors_of("=== case a\n--- expect-log\n--- expect-log\n") ==
        std::vector<std::string>{"t.cases:3: more than one expect-log section"});
  CHECK(errors_of("=== case a\n--- client\nGET /\\q\n") ==
        std::vector<std::string>{"t.cases:3: unknown escape \\q (known: \\r \\n \\t \\0 \\\\ \\xHH, and \\ at the end of a line)"});
  CHECK(errors_of("=== case a\n--- client\n\\x4\n") == std::vector<std::string>{"t.cases:3: \\x needs two hex digits"});
  CHECK(errors_of("=== case a\n--- expect-client\n\n") ==
        std::vector<std::string>{"t.cases:2: expect-client is empty (write the message, or reset/closed/none)"});
  CHECK(errors_of("=== case a\n--- backend\nnone\n--- backend\nclose\n") ==
        std::vector<std::string>{"t.cases:2: backend none (nothing listens) must be the only backend section"});
  CHECK(errors_of("=== case a\n--- expect-load-error\nx\n--- client\n") ==
        std::vector<std::string>{"t.cases:4: client cannot run: a case with expect-load-error stops when the configuration fails to load"});
  CHECK(errors_of("=== case a\n--- client fin\nx\n--- client\ny\n--- client new fin\nz\n") ==
        std::vector<std::string>{"t.cases:4: client: the connection was half-closed (fin) above; send on a new one (client new)"});
  CHECK(errors_of("=== case a\n--- backend banner\nx\n--- backend banner\ny\n") ==
        std::vector<std::string>{"t.cases:4: more than one backend banner section"});
  CHECK(errors_of("=== case a\n--- backend close\nnone\n") ==
        std::vector<std::string>{"t.cases:2: backend none (nothing listens) takes neither banner nor close"});
  CHECK(errors_of("=== case a\n--- expect-client banner\n") ==
        std::vector<std::string>{"t.cases:2: section expect-client does not take \"banner\""});
  // tcp cases: no lines in the tcp section, nothing partial, each answer framed by an expectation.
  CHECK(errors_of("=== case a\n--- tcp\nx\n") ==
        std::vector<std::string>{"t.cases:3: tcp takes no lines (it makes the case a plain TCP virtual)"});
  CHECK(errors_of("=== case a\n--- tcp\n--- tcp\n") == std::vector<std::string>{"t.cases:3: more than one tcp section"});
  CHECK(errors_of("=== case a\n--- tcp\n--- expect-client partial\nx\n--- expect-backend partial\ny\n") ==
        std::vector<std::string>{"t.cases:3: expect-client partial: a tcp case compares bytes exactly",
                                 "t.cases:5: expect-backend partial: a tcp case compares bytes exactly"});
  CHECK(errors_of("=== case a\n--- tcp\n--- backend banner\nhi\n--- expect-backend\nq\n--- backend\nA\n--- backend\nB\n") ==
        std::vector<std::string>{"t.cases:9: backend answer #2 has no expect-backend section #2 (in a tcp case, "
                                 "expect-backend #N frames the message that backend answer #N answers)"});
  CHECK(errors_of("=== case a\n--- tcp\n--- backend\nnone\n--- expect-backend\nnone\n").empty());
  CaseFile tcp = parse_case_file("t.cases", "=== case a\n--- tcp\n--- backend banner close\nhi\n");
  REQUIRE(tcp.cases.size() == 1);
  CHECK(tcp.cases[0].tcp());
  CHECK(tcp.cases[0].sections[1].banner);
  CHECK(tcp.cases[0].sections[1].close_after);
  CHECK_FALSE(tcp.cases[0].sections[1].fin);
  CHECK(parse_case_file("t.cases", "=== case a\n--- client new fin raw\n").cases.at(0).sections.at(0).fin);
  // A case with an error is left out; the others in the file still run.
  CaseFile f = parse_case_file("t.cases", "=== case bad\n--- nope\n=== case good\n");
  REQUIRE(f.cases.size() == 1);
  CHECK(f.cases[0].name == "good");
}

TEST_CASE("message sections: head lines end in CRLF, the head gets its empty line, body lines are joined", "[irules-format]") {
  CHECK(message_bytes({"GET / HTTP/1.1", "Host: h"}, false) == "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(message_bytes({"POST / HTTP/1.1", "Content-Length: 7", "", "a", "b\\", "c"}, false) ==
        "POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\na\r\nbc");
  CHECK(message_bytes({"HTTP/1.1 200 OK", "", "x\\r\\n"}, false) == "HTTP/1.1 200 OK\r\n\r\nx\r\n");
  CHECK(message_bytes({"GET\\x20/ HTTP/1.1\\", "\\r\\n\\t\\0\\\\"}, false) == std::string("GET / HTTP/1.1\r\n\t\0\\\r\n\r\n", 23));
  CHECK(message_bytes({"GET / HTTP/1.1\\r\\n", "Host: h\\n\\n"}, true) == "GET / HTTP/1.1\r\nHost: h\n\n");
  CHECK(message_bytes({}, false).empty());
}

TEST_CASE("display form: CRLF splits lines, other control bytes are escaped, a missing last CRLF shows", "[irules-format]") {
  CHECK(display_lines("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n") == std::vector<std::string>{"HTTP/1.1 200 OK", "A: 1", ""});
  CHECK(display_lines("a\r\nok") == std::vector<std::string>{"a", "ok\\"});
  CHECK(display_lines("a\r\nok", false) == std::vector<std::string>{"a", "ok"});
  CHECK(display_lines(std::string("x\ny\r\t\x01\\\0", 8)) == std::vector<std::string>{"x\\ny\\r\\t\\x01\\\\\\0\\"});
  // What the display shows, the case syntax reads back as the same bytes.
  const std::string bytes = "HTTP/1.1 200 OK\r\nA: \x01\r\n\r\nbody\r\nend";
  CHECK(message_bytes(display_lines(bytes), false) == bytes);
}

TEST_CASE("byte lines: a line ends after each LF, and they read back as the same bytes", "[irules-format]") {
  CHECK(byte_lines("220 hi\r\nnext\nend") == std::vector<std::string>{"220 hi\\r\\n", "next\\n", "end"});
  CHECK(byte_lines("").empty());
  CHECK(byte_lines(std::string("\0\x01 \\ x", 6)) == std::vector<std::string>{"\\0\\x01 \\\\ x"});
  const std::string bytes("a\r\n\n\x7f\\\0z", 8);
  CHECK(message_bytes(byte_lines(bytes), true) == bytes);
}

TEST_CASE("line diff: common lines, then expected-only before actual-only", "[irules-format]") {
  std::size_t common = 0;
  CHECK(line_diff({"a", "b", "c"}, {"a", "x", "c", "d"}, nullptr, &common) ==
        "      a\n    - b\n    + x\n      c\n    + d\n");
  CHECK(common == 2);
  CHECK(line_diff({}, {"only"}) == "    + only\n");
  // A custom match (log lines without a level match any level).
  CHECK(line_diff({"m"}, {"[info] m"}, [](std::size_t, std::size_t) { return true; }, &common) == "      m\n");
  CHECK(common == 1);
}

TEST_CASE("placeholders: known names are replaced, others stay as written", "[irules-format]") {
  Placeholders p;
  p.set("client_port", "4242");
  CHECK(p.apply("port ${client_port}, ${unknown} and ${client_port") == "port 4242, ${unknown} and ${client_port");
}

TEST_CASE("HTTP framing: where a message ends", "[irules-format]") {
  bool until_close = false;
  CHECK(http_message_length("GET / HTTP/1.1\r\nHost: h\r\n", false, false, &until_close) == std::nullopt);
  CHECK(http_message_length("GET / HTTP/1.1\r\n\r\nGET", false, false, &until_close) == 18u);
  CHECK(http_message_length("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", false, false, &until_close) == std::nullopt);
  CHECK(http_message_length("POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcGET", false, false, &until_close) == 41u);
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  CHECK(http_message_length(chunked, true, false, &until_close) == chunked.size());
  CHECK(http_message_length(chunked.substr(0, chunked.size() - 1), true, false, &until_close) == std::nullopt);
  CHECK(http_message_length("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, true, &until_close) == 38u);
  CHECK(http_message_length("HTTP/1.1 204 No Content\r\n\r\n", true, false, &until_close) == 27u);
  CHECK(http_message_length("HTTP/1.1 101 Switching Protocols\r\n\r\n", true, false, &until_close) == 36u);
  CHECK(http_message_length("HTTP/1.0 200 OK\r\n\r\nbody", true, false, &until_close) == std::nullopt);
  CHECK(until_close);
}
