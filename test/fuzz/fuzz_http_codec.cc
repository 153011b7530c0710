// Fuzz target: the HTTP/1.x codec (core/http_parser, core/http_codec) and the header model
// (core/header_list), driven the way ProxyConnection drives them.
//
// Input: the byte stream, then an 8-byte control trailer (missing bytes read as 0):
//   [0] flags: 1 = the request was HEAD (the response has no body), 2 = collect bodies into a sink,
//       4 = continue after a head with resume_after_head() instead of resume(), 8 = small limits
//   [1..6] the sizes of the reads the stream arrives in, in turn (0: the rest at once)
//   [7] the small limits' size (max header size 64 + 16 * [7], header count 1 + [7] % 8)
// The stream is fed twice: as a client's request stream and as a server's response stream, each read
// in its own exactly-sized heap buffer so that ASan sees any read past its end.
//
// Invariants, for each head that parses:
//  - serialize_*_head() of it parses back, alone and whole, to the same start line and headers;
//  - the header model agrees with itself (count / values / last_value / exists / names, case-
//    insensitive), and remove / replace / add do what they say;
//  - a head edited the way HTTP::header insert/replace may edit it (token name, no CR/LF/NUL in the
//    value) parses back as one head holding exactly the edited headers, or is rejected whole: never
//    an injected header or message;
//  - a local response (HTTP::respond) made of the parsed headers and a body is one well-framed message.
// And: feed() never claims more bytes than it was given, and always makes progress.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_codec.h"
#include "core/http_parser.h"
#include "test/fuzz/fuzz_check.h"

using namespace irulesd;

namespace {

constexpr std::size_t kControlSize = 8;

struct Control {
  bool head_request = false;
  bool body_sink = false;
  bool resume_after_head = false;
  bool small_limits = false;
  std::uint8_t reads[6] = {};
  std::uint8_t limit = 0;
};

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// `exact`: values must match byte for byte (a head llhttp parsed); otherwise up to the optional
// whitespace around a value, which HTTP strips and a rule's value may carry.
void check_same_headers(const HeaderList& want, const HeaderList& got, bool exact, const std::string& wire) {
  FUZZ_CHECK(want.size() == got.size(), "header count %zu, reparsed %zu, wire \"%s\"", want.size(), got.size(),
             printable(wire).c_str());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Header& a = want.items()[i];
    const Header& b = got.items()[i];
    FUZZ_CHECK(a.name == b.name, "header %zu name \"%s\" reparsed as \"%s\"", i, printable(a.name).c_str(),
               printable(b.name).c_str());
    bool same = exact ? a.value == b.value : trim_ows(a.value) == trim_ows(b.value);
    FUZZ_CHECK(same, "header %zu value \"%s\" reparsed as \"%s\"", i, printable(a.value).c_str(),
               printable(b.value).c_str());
  }
}

// Parses `wire` alone with a fresh parser: it must be exactly one head. With `may_fail`, a head the
// parser rejects is accepted too (then nothing was read as a header or a message it is not).
template <typename Head>
std::optional<Head> reparse(const std::string& wire, HttpParser::Kind kind, bool may_fail = false) {
  Head head;
  HttpParser parser(kind);
  parser.set_limits(HeadLimits{1 << 20, 1 << 16});
  if constexpr (std::is_same_v<Head, RequestHead>) {
    parser.set_request_target(&head);
  } else {
    parser.set_response_target(&head);
  }
  auto buffer = std::make_unique<char[]>(wire.size());
  std::memcpy(buffer.get(), wire.data(), wire.size());
  ParseResult r = parser.feed(buffer.get(), wire.size());
  if (may_fail && r.stop == ParseStop::Error) return std::nullopt;
  FUZZ_CHECK(r.stop == ParseStop::HeadComplete && r.consumed == wire.size(),
             "serialized head does not parse back as one head (stop %d, consumed %zu of %zu, %s): \"%s\"",
             static_cast<int>(r.stop), r.consumed, wire.size(), parser.error_reason(), printable(wire).c_str());
  return head;
}

// The header model against itself, on a copy.
void check_header_model(const HeaderList& parsed, std::string_view extra) {
  HeaderList h = parsed;
  FUZZ_CHECK(h.names().size() == h.size(), "names() size");
  std::size_t probes = 0;
  for (const std::string& name : parsed.names()) {
    if (++probes > 8) break;
    std::vector<std::string> values = h.values(name);
    FUZZ_CHECK(h.count(name) == values.size(), "count/values disagree for \"%s\"", printable(name).c_str());
    FUZZ_CHECK(h.exists(name) == !values.empty(), "exists");
    if (values.empty()) continue;   // removed by an earlier probe
    FUZZ_CHECK(h.last_value(name) && *h.last_value(name) == values.back(), "last_value is not the last value");
    std::string upper(name);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    FUZZ_CHECK(h.count(upper) == values.size(), "lookup is not case-insensitive");
    if (probes % 2) {
      std::size_t before = h.size();
      FUZZ_CHECK(h.remove(name) == values.size(), "remove count");
      FUZZ_CHECK(h.size() == before - values.size() && !h.exists(name), "remove left some");
    } else {
      std::size_t before = h.size();
      h.replace(name, extra);
      FUZZ_CHECK(h.size() == before && *h.last_value(name) == extra && h.count(name) == values.size(),
                 "replace of a present header");
    }
  }
  h.remove("X-Fuzz-New");
  std::size_t before = h.size();
  h.replace("X-Fuzz-New", extra);
  FUZZ_CHECK(h.size() == before + 1 && h.count("x-fuzz-new") == 1, "replace of an absent header appends");
  h.add("X-Fuzz-New", extra);
  FUZZ_CHECK(h.count("X-FUZZ-NEW") == 2 && h.values("X-Fuzz-New").size() == 2, "add appends");
  FUZZ_CHECK(h.items().back().name == "X-Fuzz-New" && h.items().back().value == extra, "add appends last");
}

// What HTTP::header insert/replace accept (tclext/http_commands.cc): a token name, no CR/LF/NUL.
bool rule_may_set(std::string_view name, std::string_view value) {
  return is_header_token(name) && !has_line_break(value);
}

// Edits a copy of the headers the way a rule may, with names and values taken from the message.
HeaderList rule_edits(const HeaderList& parsed, std::string_view uri_or_reason) {
  HeaderList h = parsed;
  std::string_view value = uri_or_reason;
  if (rule_may_set("X-Rule", value)) h.add("X-Rule", value);
  for (const Header& header : parsed.items()) {
    // Each header's name with another header's value, as `HTTP::header replace A [HTTP::header B]`.
    std::string_view v = value;
    value = header.value;
    if (rule_may_set(header.name, v)) h.replace(header.name, v);
  }
  return h;
}

void check_request_head(const RequestHead& head) {
  FUZZ_CHECK(!head.method.empty(), "empty method");
  std::string wire;
  serialize_request_head(head, wire);
  RequestHead back = *reparse<RequestHead>(wire, HttpParser::Kind::Request);
  FUZZ_CHECK(back.method == head.method && back.uri == head.uri && back.version_major == head.version_major &&
                 back.version_minor == head.version_minor,
             "request line \"%s\" reparsed differently", printable(wire).c_str());
  check_same_headers(head.headers, back.headers, true, wire);
  check_header_model(head.headers, head.uri);

  RequestHead edited = head;
  edited.headers = rule_edits(head.headers, head.uri);
  wire.clear();
  serialize_request_head(edited, wire);
  // HTTP::header refuses only CR, LF and NUL: a value with another control character, or a Host
  // that is no host, makes a head that a strict peer rejects. Rejected is fine; misread is not.
  std::optional<RequestHead> edited_back = reparse<RequestHead>(wire, HttpParser::Kind::Request, true);
  if (edited_back) check_same_headers(edited.headers, edited_back->headers, false, wire);
}

// HTTP::respond with the response's status and headers and `body`: one message whose body is `body`.
void check_local_response(const ResponseHead& head, std::string_view body, bool keep_alive, bool head_request) {
  LocalResponse response;
  response.status = head.status;
  response.version_minor = head.version_minor == 0 ? 0 : 1;
  response.body.assign(body);
  for (const Header& h : head.headers.items()) {
    if (rule_may_set(h.name, h.value)) response.headers.add(h.name, h.value);   // what HTTP::respond accepts
  }
  std::string wire;
  serialize_local_response(response, keep_alive, head_request, wire);
  HttpParser parser(HttpParser::Kind::Response);
  ResponseHead back;
  parser.set_response_target(&back);
  parser.set_limits(HeadLimits{1 << 20, 1 << 16});
  parser.set_expect_no_body(head_request);
  std::string sink;
  parser.set_body_sink(&sink);
  auto buffer = std::make_unique<char[]>(wire.size());
  std::memcpy(buffer.get(), wire.data(), wire.size());
  ParseResult r = parser.feed(buffer.get(), wire.size());
  FUZZ_CHECK(r.stop == ParseStop::HeadComplete, "local response head does not parse (%s): \"%s\"",
             parser.error_reason(), printable(wire).c_str());
  FUZZ_CHECK(back.status == head.status, "status");
  std::size_t off = r.consumed;
  ParseStop stop = parser.resume_after_head();
  if (stop != ParseStop::MessageComplete) {
    r = parser.feed(buffer.get() + off, wire.size() - off);
    off += r.consumed;
    stop = r.stop;
  }
  FUZZ_CHECK(stop == ParseStop::MessageComplete && off == wire.size(),
             "local response is not one framed message (stop %d, %zu of %zu): \"%s\"", static_cast<int>(stop), off,
             wire.size(), printable(wire).c_str());
  const bool bodiless = head.status / 100 == 1 || head.status == 204 || head.status == 304 || head_request;
  FUZZ_CHECK(sink == (bodiless ? std::string_view() : body), "local response body");
}

void check_response_head(const ResponseHead& head, const Control& c, std::string_view body) {
  FUZZ_CHECK(head.status >= 0 && head.status <= 999, "status %d", head.status);
  std::string wire;
  serialize_response_head(head, wire);
  ResponseHead back = *reparse<ResponseHead>(wire, HttpParser::Kind::Response);
  FUZZ_CHECK(back.status == head.status && back.reason == head.reason && back.version_major == head.version_major &&
                 back.version_minor == head.version_minor,
             "status line \"%s\" reparsed differently", printable(wire).c_str());
  check_same_headers(head.headers, back.headers, true, wire);
  check_header_model(head.headers, head.reason);

  ResponseHead edited = head;
  edited.headers = rule_edits(head.headers, head.reason);
  wire.clear();
  serialize_response_head(edited, wire);
  // HTTP::header refuses only CR, LF and NUL: a value with another control character, or a Host
  // that is no host, makes a head that a strict peer rejects. Rejected is fine; misread is not.
  std::optional<ResponseHead> edited_back = reparse<ResponseHead>(wire, HttpParser::Kind::Response, true);
  if (edited_back) check_same_headers(edited.headers, edited_back->headers, false, wire);

  (void)reason_phrase(head.status);
  for (const std::string& v : head.headers.values("Connection")) (void)connection_says_close(v);
  if (head.status >= 100) check_local_response(head, body, c.limit & 1, c.head_request);
}

void run_stream(HttpParser::Kind kind, const std::uint8_t* data, std::size_t size, const Control& c) {
  HttpParser parser(kind);
  RequestHead request;
  ResponseHead response;
  if (kind == HttpParser::Kind::Request) {
    parser.set_request_target(&request);
  } else {
    parser.set_response_target(&response);
    parser.set_expect_no_body(c.head_request);
  }
  if (c.small_limits) parser.set_limits(HeadLimits{64 + 16u * c.limit, 1u + c.limit % 8});
  std::string sink;
  if (c.body_sink) parser.set_body_sink(&sink);

  const auto on_head = [&] {
    if (kind == HttpParser::Kind::Request) {
      check_request_head(request);
    } else {
      check_response_head(response, c, std::string_view(reinterpret_cast<const char*>(data), size).substr(0, 64));
    }
  };

  std::size_t off = 0;
  std::size_t read_index = 0;
  while (off < size) {
    std::size_t want = c.reads[read_index++ % 6];
    std::size_t len = want == 0 || want > size - off ? size - off : want;
    // Each read in its own buffer of exactly its size, as a socket read would hand it over.
    auto buffer = std::make_unique<char[]>(len);
    std::memcpy(buffer.get(), data + off, len);
    std::size_t pos = 0;
    int stalls = 0;
    while (pos < len) {
      ParseResult r = parser.feed(buffer.get() + pos, len - pos);
      FUZZ_CHECK(r.consumed <= len - pos, "feed consumed %zu of %zu", r.consumed, len - pos);
      if (r.stop == ParseStop::Error) return;   // the proxy answers 400 / 502 and closes
      if (r.stop == ParseStop::NeedMore) {
        FUZZ_CHECK(r.consumed == len - pos, "NeedMore left %zu bytes", len - pos - r.consumed);
      }
      stalls = r.consumed == 0 ? stalls + 1 : 0;
      FUZZ_CHECK(stalls < 8, "the parser makes no progress");
      pos += r.consumed;
      if (r.stop == ParseStop::HeadComplete) {
        FUZZ_CHECK(!parser.in_head(), "in_head() after HeadComplete");
        (void)parser.body_follows();
        (void)parser.keep_alive();
        on_head();
        if (c.resume_after_head) {
          if (parser.resume_after_head() == ParseStop::MessageComplete) parser.resume();
        } else {
          parser.resume();
        }
      } else if (r.stop == ParseStop::MessageComplete) {
        FUZZ_CHECK(parser.in_head() && parser.between_messages(), "state after MessageComplete");
        parser.resume();
      }
    }
    off += len;
  }
  if (parser.finish()) FUZZ_CHECK(parser.between_messages(), "finish() completed a message, state not reset");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint8_t trailer[kControlSize] = {};
  std::size_t stream_size = size > kControlSize ? size - kControlSize : 0;
  std::memcpy(trailer, data + stream_size, size - stream_size);
  Control c;
  c.head_request = trailer[0] & 1;
  c.body_sink = trailer[0] & 2;
  c.resume_after_head = trailer[0] & 4;
  c.small_limits = trailer[0] & 8;
  std::memcpy(c.reads, trailer + 1, 6);
  c.limit = trailer[7];
  run_stream(HttpParser::Kind::Request, data, stream_size, c);
  run_stream(HttpParser::Kind::Response, data, stream_size, c);
  return 0;
}
