// The bigip.conf tokenizer: tmsh word rules, statement splitting, raw iRule bodies, error lines.
#include <catch2/catch.hpp>

#include "core/config_tokenizer.h"

using irulesd::ConfigStatement;
using irulesd::ConfigTokens;
using irulesd::ConfigWord;
using irulesd::tokenize_config;
using Kind = irulesd::ConfigWord::Kind;

namespace {

ConfigTokens ok(const std::string& text) {
  ConfigTokens t = tokenize_config(text, "t.conf");
  INFO((t.error ? t.error->str() : std::string()));
  REQUIRE_FALSE(t.error);
  return t;
}

std::vector<std::string> texts(const ConfigStatement& s) {
  std::vector<std::string> out;
  for (const ConfigWord& w : s.words) out.push_back(w.is_block() ? "{}" : w.text);
  return out;
}

}  // namespace

TEST_CASE("tokenizer: bare, quoted and braced words with their lines", "[config]") {
  ConfigTokens t = ok("ltm node /Common/a {\n    address 10.0.0.1\n    description \"two words\"\n}\n");
  REQUIRE(t.statements.size() == 1);
  const ConfigStatement& s = t.statements[0];
  CHECK(texts(s) == std::vector<std::string>{"ltm", "node", "/Common/a", "{}"});
  CHECK(s.line() == 1);
  const ConfigWord& block = s.words[3];
  CHECK(block.kind == Kind::Block);
  CHECK(block.line == 1);
  REQUIRE(block.statements.size() == 2);
  CHECK(texts(block.statements[0]) == std::vector<std::string>{"address", "10.0.0.1"});
  CHECK(block.statements[0].words[1].line == 2);
  const ConfigWord& quoted = block.statements[1].words[1];
  CHECK(quoted.kind == Kind::Quoted);
  CHECK(quoted.text == "\"two words\"");
  CHECK(quoted.value() == "two words");
  CHECK(quoted.line == 3);
}

TEST_CASE("tokenizer: a { inside quotes does not count", "[config]") {
  ConfigTokens t = ok("ltm pool p {\n  description \"open { and } close }}\"\n}\nltm node n { address 1.2.3.4 }\n");
  REQUIRE(t.statements.size() == 2);
  const ConfigWord& d = t.statements[0].words[3].statements[0].words[1];
  CHECK(d.value() == "open { and } close }}");
  CHECK(t.statements[1].line() == 4);
}

TEST_CASE("tokenizer: backslashes inside quotes are kept byte-exact", "[config]") {
  ConfigTokens t = ok("ltm monitor http m {\n    recv \"^HTTP/1\\.[01] 200\"\n    send \"GET / HTTP/1.0\\r\\n\\\"x\\\"\"\n}\n");
  const auto& body = t.statements[0].words[4].statements;
  REQUIRE(body.size() == 2);
  CHECK(body[0].words[1].text == "\"^HTTP/1\\.[01] 200\"");
  CHECK(body[0].words[1].value() == "^HTTP/1\\.[01] 200");
  // An escaped quote does not end the word.
  CHECK(body[1].words[1].value() == "GET / HTTP/1.0\\r\\n\\\"x\\\"");
}

TEST_CASE("tokenizer: newlines end statements inside blocks", "[config]") {
  ConfigTokens t = ok("ltm pool p {\n    monitor min 2 of { a b }\n    members { m:80 { address 1.1.1.1 } n:80 { } }\n}\n");
  const auto& body = t.statements[0].words[3].statements;
  REQUIRE(body.size() == 2);
  CHECK(texts(body[0]) == std::vector<std::string>{"monitor", "min", "2", "of", "{}"});
  REQUIRE(body[0].words[4].statements.size() == 1);
  CHECK(texts(body[0].words[4].statements[0]) == std::vector<std::string>{"a", "b"});
  CHECK(texts(body[1]) == std::vector<std::string>{"members", "{}"});
  const auto& members = body[1].words[1].statements;
  REQUIRE(members.size() == 1);
  CHECK(texts(members[0]) == std::vector<std::string>{"m:80", "{}", "n:80", "{}"});
  CHECK(members[0].words[3].statements.empty());
}

TEST_CASE("tokenizer: several properties on one line stay one statement", "[config]") {
  ConfigTokens t = ok("net self s { address 10.0.0.1/24 vlan internal }");
  const auto& body = t.statements[0].words[3].statements;
  REQUIRE(body.size() == 1);
  CHECK(texts(body[0]) == std::vector<std::string>{"address", "10.0.0.1/24", "vlan", "internal"});
}

TEST_CASE("tokenizer: comments at the start of a statement", "[config]") {
  ConfigTokens t = ok("#TMSH-VERSION: 15.1.0\n\n  # indented { comment \"\nltm node a {\n  # inside } too\n  address 1.1.1.1\n}\n");
  REQUIRE(t.statements.size() == 1);
  CHECK(t.statements[0].line() == 4);
  const auto& body = t.statements[0].words[3].statements;
  REQUIRE(body.size() == 1);
  CHECK(texts(body[0]) == std::vector<std::string>{"address", "1.1.1.1"});
  CHECK(body[0].line() == 6);
}

TEST_CASE("tokenizer: a # inside a statement is an ordinary byte", "[config]") {
  ConfigTokens t = ok("ltm node a { description x#y }");
  CHECK(t.statements[0].words[3].statements[0].words[1].text == "x#y");
}

TEST_CASE("tokenizer: CRLF line endings", "[config]") {
  ConfigTokens t = ok("ltm node a {\r\n    address 1.1.1.1\r\n}\r\nltm node b { }\r\n");
  REQUIRE(t.statements.size() == 2);
  CHECK(texts(t.statements[0].words[3].statements[0]) == std::vector<std::string>{"address", "1.1.1.1"});
  CHECK(t.statements[1].line() == 4);
}

TEST_CASE("tokenizer: ltm rule bodies are raw text with the line of their first byte", "[config]") {
  const std::string body =
      "\nwhen HTTP_REQUEST {\n  # don't \"unbalance\n  if { [HTTP::uri] eq \"/\\{\" } {\n"
      "    log local0. \"a \\} b\"\n  }\n}\n";
  ConfigTokens t = ok("ltm node a { address 1.1.1.1 }\n\nltm rule /Common/r {" + body + "}\nltm node b { }\n");
  REQUIRE(t.statements.size() == 3);
  const ConfigWord& rule = t.statements[1].words[3];
  CHECK(rule.kind == Kind::RawBlock);
  CHECK(rule.text == body);
  CHECK(rule.line == 3);
  CHECK(rule.text_line == 3);
  CHECK(t.statements[2].line() == 11);
}

TEST_CASE("tokenizer: rule body starting on the brace line", "[config]") {
  ConfigTokens t = ok("ltm rule r { when CLIENT_ACCEPTED { TCP::close } }");
  CHECK(t.statements[0].words[3].text == " when CLIENT_ACCEPTED { TCP::close } ");
  CHECK(t.statements[0].words[3].text_line == 1);
}

TEST_CASE("tokenizer: only ltm rule bodies are raw", "[config]") {
  ConfigTokens t = ok("ltm pool rule { members { } }");
  CHECK(t.statements[0].words[3].kind == Kind::Block);
}

TEST_CASE("tokenizer: an unclosed brace is reported at the line it opened", "[config]") {
  ConfigTokens t = tokenize_config("ltm node a { address 1.1.1.1 }\nltm pool p {\n  members {\n    m:80 { }\n  }\n", "t.conf");
  REQUIRE(t.error);
  CHECK(t.error->line == 2);
  CHECK(t.error->file == "t.conf");
  CHECK(t.error->message.find("unclosed {") != std::string::npos);
  CHECK(t.statements.empty());

  ConfigTokens inner = tokenize_config("ltm pool p {\n  members {\n    m:80 {\n", "t.conf");
  REQUIRE(inner.error);
  CHECK(inner.error->line == 3);
}

TEST_CASE("tokenizer: an unclosed rule body is reported at its brace", "[config]") {
  ConfigTokens t = tokenize_config("\nltm rule r {\nwhen HTTP_REQUEST {\n  log local0. x\n", "t.conf");
  REQUIRE(t.error);
  CHECK(t.error->line == 2);
}

TEST_CASE("tokenizer: an unclosed quote is reported at the line it opened", "[config]") {
  ConfigTokens t = tokenize_config("ltm node a {\n  description \"abc\n}\n\n", "t.conf");
  REQUIRE(t.error);
  CHECK(t.error->line == 2);
  CHECK(t.error->message.find("unclosed \"") != std::string::npos);
}

TEST_CASE("tokenizer: a stray closing brace is reported at its line", "[config]") {
  ConfigTokens t = tokenize_config("ltm node a { }\n}\n", "t.conf");
  REQUIRE(t.error);
  CHECK(t.error->line == 2);
  CHECK(t.error->str() == "t.conf:2: unexpected } without a matching {");
}

TEST_CASE("tokenizer: bytes glued to a closing quote are an error", "[config]") {
  ConfigTokens t = tokenize_config("ltm node a {\n description \"x\"y\n}", "t.conf");
  REQUIRE(t.error);
  CHECK(t.error->line == 2);
}
