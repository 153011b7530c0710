// The iRule case format (test/irules/README.md): a .cases file holds cases; a case is a list of
// sections (`--- KIND ARGS`), kept in file order because the client's sends and reads run in that
// order. This file only splits and validates the text; case_runner.cc gives the sections meaning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace irulesd::cases {

enum class SectionKind {
  Rule,             // --- rule NAME        Tcl, written to irules/NAME.tcl and attached in order
  Config,           // --- config           bigip.conf text placed before the runner's own objects
  Virtual,          // --- virtual          property lines that replace the default virtual's
  Client,           // --- client [new] [raw] [fin]   bytes the client sends (`new`: on a new connection,
                    //                          `fin`: then half-closes)
  Backend,          // --- backend [raw] [banner] [close]   the backend's answer to its next request (or
                    //                          close/reset/none); `banner`: sent on connect instead
  ExpectBackend,    // --- expect-backend [partial]   one request as the backend received it, or none
  ExpectClient,     // --- expect-client [partial]    one response as the client read it, or reset/closed
  ExpectLog,        // --- expect-log [partial]       log messages in order
  ExpectLoadError,  // --- expect-load-error          the FILE:LINE: messages --check would print
  ExpectFailure,    // --- expect-failure             lines the runner's own failure report must contain
  Tcp,              // --- tcp                        a plain TCP virtual: bytes instead of HTTP messages
};

const char* section_name(SectionKind kind);

struct Section {
  SectionKind kind = SectionKind::Rule;
  std::string arg;                   // the rule name (rule sections)
  bool raw = false;                  // `raw`: no line ends added, escapes only
  bool new_connection = false;       // `new` (client): end the connection so far, open another
  bool fin = false;                  // `fin` (client): half-close once the bytes are sent
  bool partial = false;              // `partial`: listed lines must (or, with `!`, must not) appear
  bool banner = false;               // `banner` (backend): sent as each connection is accepted
  bool close_after = false;          // `close` (backend): the backend closes once these bytes are sent
  int line = 0;                      // line of the `---` header in the file
  std::vector<std::string> lines;    // the content; trailing empty lines removed

  // The content as text, each line ending in "\n" (rules and config keep their own layout).
  std::string text() const;
  // `reset`, `closed`, `none`, `close`: the single-word forms of some sections.
  bool is_word(std::string_view word) const { return lines.size() == 1 && lines[0] == word; }
};

struct Case {
  std::string file;    // path of the .cases file
  std::string topic;   // file name without .cases: the first part of the test name
  std::string name;
  int line = 0;        // line of the `=== case` header
  std::vector<Section> sections;   // in file order

  std::string test_name() const { return topic + ": " + name; }
  std::string where() const { return file + ":" + std::to_string(line); }
  std::vector<const Section*> all(SectionKind kind) const;
  const Section* first(SectionKind kind) const;   // nullptr when absent
  // `--- tcp`: no http profile on the default virtual, and the client, backend and expect sections
  // are bytes (always raw) framed by their length rather than HTTP messages.
  bool tcp() const { return first(SectionKind::Tcp) != nullptr; }
};

struct CaseFile {
  std::vector<Case> cases;
  std::vector<std::string> errors;   // "FILE:LINE: message"; cases with errors are left out
};

CaseFile parse_case_file(const std::string& path, std::string_view text);

}  // namespace irulesd::cases
