// F5's stateless utility commands: findstr/substr/getfield/domain, b64encode/b64decode, the digests
// and crc32, URI::*, IP::addr. Most cases run in a bare interpreter carrying the command tables
// (Interp below); every command also runs through the real engine (TclRuleEngine + fire).
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "tclext/command_table.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

// A Tcl interpreter with every iRule command table, acting on a Transaction in `event`.
class Interp {
 public:
  explicit Interp(Event event = Event::HttpRequest) {
    Tcl_FindExecutable(nullptr);
    interp_ = Tcl_CreateInterp();
    ctx_.tx = &tx_;
    ctx_.event = event;
    registry_.register_all(interp_, &ctx_);
  }
  ~Interp() { Tcl_DeleteInterp(interp_); }   // before registry_: its commands point into it
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;

  // The result of a script that must succeed.
  std::string ok(const std::string& script) {
    const int rc = Tcl_EvalEx(interp_, script.data(), static_cast<int>(script.size()), 0);
    const std::string result = result_text();
    INFO(script << " -> " << result);
    REQUIRE(rc == TCL_OK);
    return result;
  }
  // The message of a script that must fail.
  std::string error(const std::string& script) {
    const int rc = Tcl_EvalEx(interp_, script.data(), static_cast<int>(script.size()), 0);
    const std::string result = result_text();
    INFO(script << " -> " << result);
    REQUIRE(rc == TCL_ERROR);
    return result;
  }
  // The hex of a script's result bytes, for the binary results (digests, b64decode).
  std::string hex(const std::string& script) { return ok("binary scan [" + script + "] H* h; set h"); }

 private:
  std::string result_text() {
    int length = 0;
    const char* text = Tcl_GetStringFromObj(Tcl_GetObjResult(interp_), &length);
    return std::string(text, static_cast<std::size_t>(length));
  }

  CommandRegistry registry_;
  Transaction tx_;
  FireContext ctx_;
  Tcl_Interp* interp_ = nullptr;
};

struct Case {
  const char* script;
  const char* result;
};

void check_ok(const std::vector<Case>& cases) {
  Interp t;
  for (const Case& c : cases) {
    INFO(c.script);
    CHECK(t.ok(c.script) == c.result);
  }
}

void check_errors(const std::vector<Case>& cases) {
  Interp t;
  for (const Case& c : cases) {
    INFO(c.script);
    CHECK(t.error(c.script) == c.result);
  }
}

// ---- through the engine ----

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

struct Fired {
  RuleOutcome outcome;
  std::vector<std::string> log;   // messages, without the line prefix
};

// Fires `when EVENT { SCRIPT }` once on GET /dir/sub/page.html?q=caf%C3%A9&n=2 from 192.0.2.7
// (and a 200 response for HTTP_RESPONSE).
Fired fire(Event event, const std::string& script) {
  LogCapture log;
  auto config = one_rule_config(std::string("when ") + event_name(event) + " {\n" + script + "\n}\n");
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  Fired out;
  {
    TclRuleEngine engine(config);
    RequestHead request;
    request.method = "GET";
    request.uri = "/dir/sub/page.html?q=caf%C3%A9&n=2";
    request.headers.add("Host", "www.example.com");
    ResponseHead response;
    response.status = 200;
    Transaction tx;
    tx.client_addr = "192.0.2.7";
    tx.client_port = 51234;
    tx.local_addr = "127.0.0.10";
    tx.local_port = 8080;
    if (event == Event::HttpRequest || event == Event::HttpResponse) tx.request = &request;
    if (event == Event::HttpResponse) tx.response = &response;
    out.outcome = engine.fire(config->virtuals.front(), event, tx);
    tx.rule_scope.reset();
  }
  out.log = log.messages();
  return out;
}

void check_fired(Event event, const std::string& script, const std::vector<std::string>& log) {
  INFO(script);
  Fired out = fire(event, script);
  CHECK(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == log);
}

}  // namespace

// ---------------------------------------------------------------- string helpers

TEST_CASE("findstr: match, skip, terminator as string or length", "[util-commands]") {
  check_ok({
      {"findstr {type=abc&x=1} type= 5 &", "abc"},
      {"findstr /a/b.html?x=1 ?", "?x=1"},
      {"findstr /a/b.html?x=1 ? 1", "x=1"},
      {"findstr abcdef cd", "cdef"},
      {"findstr abcdef cd 0 2", "cd"},           // digits: a length
      {"findstr abcdef cd 0 0", ""},
      {"findstr abcdef cd 0 99", "cdef"},
      {"findstr abcdef cd 1 e", "d"},            // a string: ends before it
      {"findstr abcdef cd 0 x", "cdef"},         // absent terminator: to the end
      {"findstr \"a=1\\r\\nb=2\" a= 2 \"\\r\\n\"", "1"},   // a terminator of several characters
      {"findstr abcdef cd -1", "bcdef"},         // a negative skip moves back
      {"findstr abcdef cd -9", "abcdef"},
      {"findstr abcdef cd 10", ""},
      {"findstr abcdef zz", ""},
      {"findstr abcdef zz 1 2", ""},
      {"findstr abc {}", "abc"},                 // string first "" is 0 here, as BIG-IP's range -1 end
      {"findstr abcabc bc 1", "cabc"},           // the first match
      {"findstr \"x\xC3\xA9t\xC3\xA9\" x 1 2", "\xC3\xA9t"},   // skip and length count characters
      {"findstr \"\xC3\xA9t\xC3\xA9!\" t 0 \"\xC3\xA9\"", "t"},
  });
  check_errors({
      {"findstr abc", "wrong # args: should be \"findstr string search ?skip? ?terminator?\""},
      {"findstr a b 1 2 3", "wrong # args: should be \"findstr string search ?skip? ?terminator?\""},
      {"findstr abc b x", "expected integer but got \"x\""},
  });
}

TEST_CASE("substr: skip then terminator as string or length", "[util-commands]") {
  check_ok({
      {"substr abcdefgh 2", "cdefgh"},
      {"substr abcdefgh 2 3", "cde"},
      {"substr abcdefgh 2 f", "cde"},
      {"substr abcdefgh 2 fg", "cde"},
      {"substr abcdefgh 2 x", "cdefgh"},
      {"substr abcdefgh 0 0", ""},
      {"substr abcdefgh 20", ""},
      {"substr abcdefgh -3 2", "ab"},   // a negative skip is 0
      {"substr abc 0 {}", "abc"},
      {"substr \"\xC3\xA9t\xC3\xA9\" 1 1", "t"},
  });
  check_errors({
      {"substr abc", "wrong # args: should be \"substr string skip ?terminator?\""},
      {"substr abc 1 2 3", "wrong # args: should be \"substr string skip ?terminator?\""},
      {"substr abc one", "expected integer but got \"one\""},
  });
}

TEST_CASE("getfield: the Nth field split on a character or string", "[util-commands]") {
  check_ok({
      {"getfield 1.2.3.4 . 2", "2"},
      {"getfield 1.2.3.4 . 4", "4"},
      {"getfield 1.2.3.4 . 5", ""},
      {"getfield /a/b/c / 1", ""},
      {"getfield /a/b/c / 2", "a"},
      {"getfield /a/b/c / 4", "c"},
      {"getfield a::b::c :: 3", "c"},
      {"getfield a::b::c :: 2", "b"},
      {"getfield {a,,b} , 2", ""},
      {"getfield {a,,b} , 3", "b"},
      {"getfield abc . 1", "abc"},
      {"getfield abc . 0", ""},
      {"getfield abc . -1", ""},
      {"getfield abc {} 1", "abc"},
      {"getfield abc {} 2", ""},
  });
  check_errors({
      {"getfield a .", "wrong # args: should be \"getfield string split field\""},
      {"getfield a . x", "expected integer but got \"x\""},
  });
}

TEST_CASE("domain: the last N labels of a dotted name", "[util-commands]") {
  check_ok({
      {"domain www.example.com 2", "example.com"},
      {"domain www.example.com 1", "com"},
      {"domain www.example.co.uk 3", "example.co.uk"},
      {"domain www.example.com 3", "www.example.com"},
      {"domain www.example.com 9", "www.example.com"},
      {"domain localhost 2", "localhost"},
      {"domain www.example.com 0", ""},
      {"domain {} 2", ""},
  });
  check_errors({
      {"domain www.example.com", "wrong # args: should be \"domain name count\""},
      {"domain www.example.com two", "expected integer but got \"two\""},
  });
}

// ---------------------------------------------------------------- codecs and digests

TEST_CASE("b64encode and b64decode: RFC 4648 test vectors both ways", "[util-commands]") {
  const Case vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
                          {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  Interp t;
  for (const Case& v : vectors) {
    INFO(v.script);
    CHECK(t.ok(std::string("b64encode {") + v.script + "}") == v.result);
    CHECK(t.ok(std::string("b64decode {") + v.result + "}") == v.script);
  }
}

TEST_CASE("b64encode and b64decode work on bytes", "[util-commands]") {
  Interp t;
  CHECK(t.ok("b64encode [binary format H* 00ff10]") == "AP8Q");
  CHECK(t.hex("b64decode AP8Q") == "00ff10");
  CHECK(t.ok("b64encode \"\xC3\xA9\"") == "w6k=");   // text: its UTF-8 bytes, as they came off the wire
  CHECK(t.hex("b64decode w6k=") == "c3a9");   // a byte array: the bytes, not text
  CHECK(t.ok("b64encode [md5 abc]") == "kAFQmDzST7DWlj99KOF/cg==");
  CHECK(t.ok("b64decode \"Zm9v\\r\\nYmFy\"") == "foobar");   // line-wrapped
  CHECK(t.ok("b64decode Zm9vYg") == "foob");                 // padding left out
  CHECK(t.ok("b64decode Zm9vYmE") == "fooba");
}

TEST_CASE("b64decode: invalid input is BIG-IP's runtime error", "[util-commands]") {
  check_errors({
      {"b64decode {\\a b c d}", "conversion error"},   // clouddocs' example
      {"b64decode Zm9v!", "conversion error"},
      {"b64decode Z", "conversion error"},
      {"b64decode Zg=", "conversion error"},
      {"b64decode Zm9v====", "conversion error"},
      {"b64decode Zg==Zg==", "conversion error"},
      {"b64decode =", "conversion error"},
      {"b64decode", "wrong # args: should be \"b64decode string\""},
      {"b64encode a b", "wrong # args: should be \"b64encode string\""},
  });
}

TEST_CASE("md5: RFC 1321 test suite", "[util-commands]") {
  const Case vectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  Interp t;
  for (const Case& v : vectors) {
    INFO(v.script);
    CHECK(t.hex(std::string("md5 {") + v.script + "}") == v.result);
  }
  CHECK(t.ok("string length [md5 abc]") == "16");   // binary, not hex
}

TEST_CASE("sha1: RFC 3174 tests, sha256, sha384, sha512: FIPS 180-2 'abc'", "[util-commands]") {
  Interp t;
  CHECK(t.hex("sha1 abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(t.hex("sha1 abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(t.hex("sha1 [string repeat a 1000000]") == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(t.hex("sha256 abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(t.hex("sha256 {}") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(t.hex("sha384 abc") ==
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  CHECK(t.hex("sha512 abc") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(t.ok("string length [sha1 abc]") == "20");
  CHECK(t.ok("string length [sha256 abc]") == "32");
  CHECK(t.ok("string length [sha384 abc]") == "48");
  CHECK(t.ok("string length [sha512 abc]") == "64");
}

TEST_CASE("digests hash text as its UTF-8 bytes and byte arrays as their bytes", "[util-commands]") {
  Interp t;
  CHECK(t.hex("md5 \"\xC3\xA9\"") == "66ddcd97cfdeabb2f6fb8a999b4bc76f");             // bytes C3 A9
  CHECK(t.hex("md5 [binary format H* e9]") == "3406877694691ddd1dfb0aca54681407");   // byte E9
  CHECK(t.hex("md5 [binary format H* c3a9]") == "66ddcd97cfdeabb2f6fb8a999b4bc76f");
  CHECK(t.hex("md5 [md5 abc]") == "af5da9f45af7a300e3aded972f8ff687");   // a digest of a digest
  check_errors({
      {"md5", "wrong # args: should be \"md5 string\""},
      {"sha1 a b", "wrong # args: should be \"sha1 string\""},
      {"sha256", "wrong # args: should be \"sha256 string\""},
      {"sha384", "wrong # args: should be \"sha384 string\""},
      {"sha512", "wrong # args: should be \"sha512 string\""},
  });
}

TEST_CASE("crc32: the IEEE CRC-32 as an unsigned integer", "[util-commands]") {
  check_ok({
      {"crc32 123456789", "3421780262"},
      {"format %08X [crc32 123456789]", "CBF43926"},
      {"crc32 {}", "0"},
      {"crc32 {The quick brown fox jumps over the lazy dog}", "1095738169"},
      {"expr {[crc32 123456789] > 0}", "1"},
      {"crc32 [binary format H* e9]", "198489425"},
  });
  check_errors({{"crc32", "wrong # args: should be \"crc32 string\""}});
}

// ---------------------------------------------------------------- URI::*

TEST_CASE("URI::decode: percent-decoding only", "[util-commands]") {
  check_ok({
      // clouddocs' example
      {"URI::decode {parameter=my%20URL%20encoded%20parameter%20value%20with%20metacharacters%20(%26*%40%23%5b%5d)}",
       "parameter=my URL encoded parameter value with metacharacters (&*@#[])"},
      {"URI::decode /a%2Fb%2fc", "/a/b/c"},
      {"URI::decode a+b", "a+b"},                 // '+' stays
      {"URI::decode %zz%4%", "%zz%4%"},           // invalid escapes stay
      {"URI::decode %7e%7E", "~~"},
      {"URI::decode caf%C3%A9", "caf\xC3\xA9"},   // UTF-8 bytes: the character
      {"string length [URI::decode caf%C3%A9]", "4"},
      {"URI::decode plain", "plain"},
      {"URI::decode {}", ""},
      {"string length [URI::decode a%00b]", "3"},
      {"scan [string index [URI::decode a%00b] 1] %c", "0"},
      {"URI::encode [URI::decode a%00b%E9]", "a%00b%E9"},   // the bytes survive a round trip
  });
  check_errors({{"URI::decode", "wrong # args: should be \"URI::decode string\""}});
}

TEST_CASE("URI::encode: everything but RFC 3986 unreserved characters", "[util-commands]") {
  check_ok({
      {"URI::encode {a b&c=d/e?f#g%h+i}", "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi"},
      {"URI::encode AZaz09-._~", "AZaz09-._~"},
      {"URI::encode \"caf\xC3\xA9\"", "caf%C3%A9"},
      {"URI::encode [binary format H* 00ff]", "%00%FF"},
      {"URI::encode {}", ""},
      {"URI::decode [URI::encode {x y/z}]", "x y/z"},
  });
  check_errors({{"URI::encode a b", "wrong # args: should be \"URI::encode string\""}});
}

TEST_CASE("URI::query: the query string or one parameter's raw value", "[util-commands]") {
  check_ok({
      {"URI::query /path/to/file.ext?param1=value1&param2=value2", "param1=value1&param2=value2"},
      {"URI::query /path/to/file.ext?param1=value1&param2=value2 param2", "value2"},
      {"URI::query ?param1=val1&param2=val2 param1", "val1"},
      {"URI::query param1=val1&param2=val2 param1", ""},   // no '?': no query, as on BIG-IP
      {"URI::query /p?a=1 missing", ""},
      {"URI::query /p", ""},
      {"URI::query /p?", ""},
      {"URI::query /p?a=1&a=2 a", "1"},
      {"URI::query /p?ab=1&a=2 a", "2"},
      {"URI::query /p?flag&x=1 flag", ""},
      {"URI::query /p?x=a%20b x", "a%20b"},
      {"URI::query /p?x=1=2 x", "1=2"},
      {"URI::query http://h:81/p?x=1 x", "1"},
      {"URI::query /p?a=1?b=2", "a=1?b=2"},
  });
  check_errors({{"URI::query", "wrong # args: should be \"URI::query uri ?name?\""},
                {"URI::query a b c", "wrong # args: should be \"URI::query uri ?name?\""}});
}

TEST_CASE("URI::path: directories, depth, and a range of them", "[util-commands]") {
  // clouddocs' example rule, on /path1/path2/path3/file.ext?param1=value1
  const std::string uri = "/path1/path2/path3/file.ext?param1=value1";
  check_ok({
      {("URI::path " + uri).c_str(), "/path1/path2/path3/"},
      {("URI::path " + uri + " depth").c_str(), "3"},
      {("URI::path " + uri + " 1").c_str(), "/path1/path2/path3/"},
      {("URI::path " + uri + " 2").c_str(), "/path2/path3/"},
      {("URI::path " + uri + " 3").c_str(), "/path3/"},
      {("URI::path " + uri + " 4").c_str(), "/"},
      {("URI::path " + uri + " 1 3").c_str(), "/path1/path2/path3/"},
      {("URI::path " + uri + " 2 3").c_str(), "/path2/path3/"},
      {("URI::path " + uri + " 1 4").c_str(), "/path1/path2/path3/"},   // end past the depth
      {("URI::path " + uri + " 1 1").c_str(), "/path1/"},
      {("URI::path " + uri + " 2 2").c_str(), "/path2/"},
      {("URI::path " + uri + " 3 1").c_str(), "/"},
      {"URI::path /", "/"},
      {"URI::path / depth", "0"},
      {"URI::path /file.ext", "/"},
      {"URI::path /a/?x=/b/c", "/a/"},
      {"URI::path http://example.com", "/"},
      {"URI::path http://example.com/a/b.html 1", "/a/"},
      {"URI::path http://example.com/a/b/ depth", "2"},
  });
  check_errors({
      {("URI::path " + uri + " 0 3").c_str(), "URI::path: start depth must be 1 or more"},
      {"URI::path /a/b/ x", "expected integer but got \"x\""},
      {"URI::path /a/b/ 1 y", "expected integer but got \"y\""},
      {"URI::path", "wrong # args: should be \"URI::path uri ?depth|start ?end??\""},
  });
}

TEST_CASE("URI::basename: the last path segment", "[util-commands]") {
  check_ok({
      {"URI::basename /path1/path2/file.ext?param1=value1/x", "file.ext"},
      {"URI::basename /a/b/", ""},
      {"URI::basename file.txt", "file.txt"},
      {"URI::basename http://example.com/f.txt", "f.txt"},
      {"URI::basename http://example.com", ""},
  });
  check_errors({{"URI::basename", "wrong # args: should be \"URI::basename uri\""}});
}

TEST_CASE("URI::host, URI::port, URI::protocol", "[util-commands]") {
  check_ok({
      // clouddocs' examples
      {"URI::host http://example.com/file.ext", "example.com"},
      {"URI::host http://example.com:80/file.ext", "example.com"},
      {"URI::host https://example.com:443/file.ext", "example.com"},
      {"URI::host myproto://example.com/file.ext", "example.com"},
      {"URI::host /example.com", ""},
      {"URI::host /uri?url=http://example.com/uri", ""},
      {"URI::host http://user:pw@Example.com:8080/", "Example.com"},
      {"URI::host http://example.com?x=1", "example.com"},
      {"URI::host {http://[2001:db8::1]:8080/}", "[2001:db8::1]"},
      {"URI::protocol http://test.com", "http"},
      {"URI::protocol https://test.com", "https"},
      {"URI::protocol myproto://test.com", "myproto"},
      {"URI::protocol /test.com", ""},
      {"URI::protocol /uri?url=http://test.example.com/uri", ""},
      {"URI::port http://example.com:8080/x", "8080"},
      {"URI::port http://example.com/x", "80"},
      {"URI::port https://example.com", "443"},
      {"URI::port HTTPS://example.com", "443"},
      {"URI::port ws://example.com/", "80"},
      {"URI::port wss://example.com/", "443"},
      {"URI::port myproto://example.com/", ""},
      {"URI::port /path", ""},
      {"URI::port {http://[2001:db8::1]:81/}", "81"},
      {"URI::port {http://[2001:db8::1]/}", "80"},
  });
  check_errors({
      {"URI::host", "wrong # args: should be \"URI::host uri\""},
      {"URI::port a b", "wrong # args: should be \"URI::port uri\""},
      {"URI::protocol", "wrong # args: should be \"URI::protocol uri\""},
  });
}

TEST_CASE("URI::compare: RFC 2616 section 3.2.3 equivalence", "[util-commands]") {
  check_ok({
      // clouddocs' three equivalent URIs
      {"URI::compare http://abc.com:80/~smith/home.html http://ABC.com/%7Esmith/home.html", "1"},
      {"URI::compare http://ABC.com/%7Esmith/home.html http://ABC.com:/%7esmith/home.html", "1"},
      {"URI::compare http://abc.com:80/~smith/home.html http://ABC.com:/%7esmith/home.html", "1"},
      {"URI::compare /dir1/somepath /dir1/somepath", "1"},
      {"URI::compare /dir1/somepath /dir1/otherpath", "0"},
      {"URI::compare /a /A", "0"},                                  // paths are case-sensitive
      {"URI::compare HTTP://a.com http://a.com/", "1"},             // empty path is "/"
      {"URI::compare http://a.com:8080/ http://a.com/", "0"},
      {"URI::compare https://a.com:443/ https://a.com/", "1"},
      {"URI::compare https://a.com:80/ https://a.com/", "0"},
      {"URI::compare /a%2Fb /a/b", "0"},                            // reserved: stays escaped
      {"URI::compare /a%2fb /a%2Fb", "1"},
      {"URI::compare /p?q=%7E /p?q=~", "1"},
      {"URI::compare /p?q=1 /p", "0"},
      {"URI::compare http://u@a.com/ http://a.com/", "0"},
  });
  check_errors({{"URI::compare a", "wrong # args: should be \"URI::compare uri1 uri2\""}});
}

// ---------------------------------------------------------------- IP::addr

TEST_CASE("IP::addr equals: addresses, networks and their masks", "[util-commands]") {
  check_ok({
      {"IP::addr 10.10.10.1 equals 10.10.10.1", "1"},
      {"IP::addr 10.10.10.1 equals 10.10.10.2", "0"},
      {"IP::addr 10.10.10.1 equals 10.10.10.0/24", "1"},
      {"IP::addr 10.10.11.1 equals 10.10.10.0/24", "0"},
      {"IP::addr 10.10.10.0/24 equals 10.10.10.200", "1"},
      {"IP::addr 10.0.0.0/8 equals 10.1.0.0/16", "1"},                  // supernet
      {"IP::addr 11.0.0.0/8 equals 10.1.0.0/16", "0"},
      {"IP::addr 10.10.10.1 equals 10.10.10.0/255.255.255.0", "1"},
      {"IP::addr 10.10.10.1 equals 0.0.0.0/0", "1"},
      {"IP::addr 10.10.10.1%2 equals 10.10.10.1", "1"},                 // route domain ignored
      {"IP::addr 10.10.10.1%2/24 equals 10.10.10.9%0", "1"},
      {"IP::addr 10.0.0.1 equals ::ffff:10.0.0.1", "1"},                // IPv4-mapped
      {"IP::addr ::ffff:10.1.2.3 equals 10.0.0.0/8", "1"},
      {"IP::addr 2001:db8::1 equals 2001:db8::/32", "1"},
      {"IP::addr 2001:db9::1 equals 2001:db8::/32", "0"},
      {"IP::addr 2001:DB8::1 equals 2001:db8:0:0:0:0:0:1", "1"},
      {"IP::addr 2001:db8::1 equals 2001:db8::/ffff:ffff::", "1"},
      {"IP::addr 10.0.0.1 equals 2001:db8::1", "0"},
  });
}

TEST_CASE("IP::addr mask: the address with a netmask or prefix applied", "[util-commands]") {
  check_ok({
      {"IP::addr 10.1.2.3 mask 255.255.0.0", "10.1.0.0"},
      {"IP::addr 10.1.2.3 mask 16", "10.1.0.0"},
      {"IP::addr 10.1.2.3 mask 32", "10.1.2.3"},
      {"IP::addr 10.1.2.3 mask 0", "0.0.0.0"},
      {"IP::addr 10.1.2.3%1 mask 24", "10.1.2.0"},
      {"IP::addr 10.1.2.3 mask ::ffff:255.255.255.0", "10.1.2.0"},
      {"IP::addr 10.1.2.3/8 mask 255.255.0.0", "10.0.0.0"},
      {"IP::addr 2001:db8:1:2::5 mask 48", "2001:db8:1::"},
      {"IP::addr 2001:db8:1:2::5 mask ffff:ffff::", "2001:db8::"},
  });
}

TEST_CASE("IP::addr parse: an address out of binary data", "[util-commands]") {
  check_ok({
      {"IP::addr parse [binary format c4 {10 1 2 3}]", "10.1.2.3"},
      {"IP::addr parse -ipv4 [binary format c4 {10 1 2 3}]", "10.1.2.3"},
      {"IP::addr parse [binary format H* ff0a010203] 1", "10.1.2.3"},
      {"IP::addr parse -swap [binary format c4 {10 1 2 3}]", "3.2.1.10"},
      {"IP::addr parse -ipv6 [binary format H* 20010db8000000000000000000000001]", "2001:db8::1"},
      {"IP::addr parse -ipv6 -swap [binary format H* 20010db8000000000000000000000001]", "100::b80d:120"},
      {"IP::addr parse -swap -ipv6 [binary format H* 20010db8000000000000000000000001]", "100::b80d:120"},
      {"IP::addr parse [binary format H* 0a01020304] 1", "1.2.3.4"},
  });
  check_errors({
      {"IP::addr parse [binary format c3 {1 2 3}]", "IP::addr parse: 4 bytes needed at offset 0, the data has 3"},
      {"IP::addr parse [binary format c4 {1 2 3 4}] 1", "IP::addr parse: 4 bytes needed at offset 1, the data has 4"},
      {"IP::addr parse [binary format c4 {1 2 3 4}] -1", "IP::addr parse: 4 bytes needed at offset -1, the data has 4"},
      {"IP::addr parse -ipv6 [binary format c4 {1 2 3 4}]",
       "IP::addr parse: 16 bytes needed at offset 0, the data has 4"},
      {"IP::addr parse [binary format c4 {1 2 3 4}] x", "expected integer but got \"x\""},
      {"IP::addr parse -ipv4 -ipv6 abcd", "IP::addr parse: -ipv4 and -ipv6 exclude each other"},
      {"IP::addr parse -swap", "wrong # args: should be \"IP::addr parse ?-ipv4|-ipv6? ?-swap? bytes ?offset?\""},
      {"IP::addr parse a 1 2", "wrong # args: should be \"IP::addr parse ?-ipv4|-ipv6? ?-swap? bytes ?offset?\""},
  });
}

TEST_CASE("IP::addr errors", "[util-commands]") {
  const std::string usage =
      "wrong # args: should be \"IP::addr addr1[/mask] equals addr2[/mask] | addr mask mask | "
      "parse ?-ipv4|-ipv6? ?-swap? bytes ?offset?\"";
  check_errors({
      {"IP::addr foo equals 10.0.0.1", "IP::addr: invalid IP address \"foo\""},
      {"IP::addr 10.0.0.1 equals 10.0.0.256", "IP::addr: invalid IP address \"10.0.0.256\""},
      {"IP::addr 10.0.0.1%eth0 equals 10.0.0.1", "IP::addr: invalid IP address \"10.0.0.1%eth0\""},
      {"IP::addr {} equals 10.0.0.1", "IP::addr: invalid IP address \"\""},
      {"IP::addr 10.0.0.1/33 equals 10.0.0.1", "IP::addr: invalid mask \"33\""},
      {"IP::addr 2001:db8::/129 equals ::1", "IP::addr: invalid mask \"129\""},
      {"IP::addr 10.0.0.1/ equals 10.0.0.1", "IP::addr: invalid mask \"\""},
      {"IP::addr 10.0.0.1 mask 255.0.x", "IP::addr: invalid mask \"255.0.x\""},
      {"IP::addr 10.0.0.1 is 10.0.0.1", "IP::addr: bad operator \"is\": must be equals or mask"},
      {"IP::addr 10.0.0.1", usage.c_str()},
      {"IP::addr 10.0.0.1 equals", usage.c_str()},
  });
}

// ---------------------------------------------------------------- through the engine, any event

TEST_CASE("the utility commands run in rules, in any event", "[util-commands]") {
  check_fired(Event::HttpRequest,
              "log -noname local0. [findstr [HTTP::uri] q= 2 &]\n"
              "log -noname local0. [substr [HTTP::uri] 1 /]\n"
              "log -noname local0. [getfield [HTTP::host] . 2]\n"
              "log -noname local0. [domain [HTTP::host] 2]",
              {"caf%C3%A9", "dir", "example", "example.com"});
  check_fired(Event::HttpRequest,
              "log -noname local0. [URI::decode [URI::query [HTTP::uri] q]]\n"
              "log -noname local0. [URI::encode [URI::basename [HTTP::uri]]]\n"
              "log -noname local0. \"[URI::path [HTTP::uri]] [URI::path [HTTP::uri] depth] [URI::path [HTTP::uri] 2]\"\n"
              "log -noname local0. [URI::compare [HTTP::uri] /dir/sub/page.html?q=caf%c3%a9&n=%32]\n"
              "set u http://[HTTP::host]:8080[HTTP::uri]\n"
              "log -noname local0. \"[URI::protocol $u] [URI::host $u] [URI::port $u]\"",
              {"caf\xC3\xA9", "page.html", "/dir/sub/ 2 /sub/", "1", "http www.example.com 8080"});
  check_fired(Event::ClientAccepted,
              "binary scan [md5 [IP::client_addr]] H* h\n"
              "log -noname local0. $h\n"
              "log -noname local0. [b64encode [sha1 abc]]\n"
              "log -noname local0. [b64decode [b64encode [IP::client_addr]]]\n"
              "binary scan [sha256 abc] H8 h256\n"
              "binary scan [sha384 abc] H8 h384\n"
              "binary scan [sha512 abc] H8 h512\n"
              "log -noname local0. \"$h256 $h384 $h512 [crc32 123456789]\"",
              {"e9cc93d8ae23cfc5941cec7cc4ee788a", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", "192.0.2.7",
               "ba7816bf cb00753f ddaf35a1 3421780262"});
  check_fired(Event::ClientAccepted,
              "log -noname local0. [IP::addr [IP::client_addr] equals 192.0.2.0/24]\n"
              "log -noname local0. [IP::addr [IP::client_addr] mask 255.255.0.0]\n"
              "log -noname local0. [IP::addr parse [binary format c4 {192 0 2 7}]]",
              {"1", "192.0.0.0", "192.0.2.7"});
  check_fired(Event::HttpResponse, "log -noname local0. [getfield [crc32 abc] 5 1][domain a.b 1]", {"891b"});
  check_fired(Event::ClientClosed, "log -noname local0. [URI::host http://h/][IP::addr ::1 equals ::1]", {"h1"});

  Fired bad = fire(Event::ClientAccepted, "b64decode ***");
  CHECK(bad.outcome == RuleOutcome::Reset);
  REQUIRE(bad.log.size() == 1);
  CHECK(bad.log[0].rfind("TCL error: /Common/r <CLIENT_ACCEPTED> - conversion error", 0) == 0);
}

TEST_CASE("the utility commands are valid in RULE_INIT too", "[util-commands]") {
  Interp t(Event::RuleInit);
  CHECK(t.ok("findstr abc b") == "bc");
  CHECK(t.ok("b64encode foo") == "Zm9v");
  CHECK(t.ok("URI::basename /a/b") == "b");
  CHECK(t.ok("IP::addr 10.0.0.1 equals 10.0.0.0/8") == "1");
}
