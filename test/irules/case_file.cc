#include "test/irules/case_file.h"

#include <algorithm>
#include <set>

#include "test/irules/case_text.h"

namespace irulesd::cases {
namespace {

struct KindName {
  SectionKind kind;
  std::string_view name;
  bool takes_name;      // `--- rule NAME`
  bool may_be_raw;      // `raw`
  bool may_be_partial;  // `partial`
  bool unique;          // at most one per case
};

constexpr KindName kKinds[] = {
    {SectionKind::Rule, "rule", true, false, false, false},
    {SectionKind::Config, "config", false, false, false, true},
    {SectionKind::Virtual, "virtual", false, false, false, true},
    {SectionKind::Client, "client", false, true, false, false},
    {SectionKind::Backend, "backend", false, true, false, false},
    {SectionKind::ExpectBackend, "expect-backend", false, false, true, false},
    {SectionKind::ExpectClient, "expect-client", false, false, true, false},
    {SectionKind::ExpectLog, "expect-log", false, false, true, true},
    {SectionKind::ExpectLoadError, "expect-load-error", false, false, false, true},
    {SectionKind::ExpectFailure, "expect-failure", false, false, false, true},
    {SectionKind::Tcp, "tcp", false, false, false, true},
};

const KindName* find_kind(std::string_view name) {
  for (const KindName& k : kKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const KindName& kind_info(SectionKind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds[0];
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Test names go through catch_discover_tests into CMake lists and Catch's test-spec parser: keep to
// characters that neither treats specially.
bool valid_case_name(std::string_view name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(" _.,:/()+=<>'-").find(c) != std::string_view::npos;
  });
}

bool valid_rule_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

class Parser {
 public:
  Parser(const std::string& path, std::string_view text) : path_(path), text_(text) {
    std::string_view base = path;
    if (std::size_t slash = base.rfind('/'); slash != base.npos) base.remove_prefix(slash + 1);
    if (base.size() > 6 && base.substr(base.size() - 6) == ".cases") base.remove_suffix(6);
    topic_ = std::string(base);
  }

  CaseFile run() {
    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= text_.size()) {
      std::size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = text_.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++line_no;
      on_line(line, line_no);
      if (end == text_.size()) break;
      pos = end + 1;
    }
    finish_case();
    return std::move(out_);
  }

 private:
  void on_line(std::string_view line, int line_no) {
    if (line.starts_with("=== ")) {
      finish_case();
      std::vector<std::string_view> w = words(line.substr(4));
      if (w.empty() || w[0] != "case") return error(line_no, "expected \"=== case NAME\"");
      std::string_view name = line.substr(4);
      name.remove_prefix(name.find("case") + 4);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      in_case_ = true;
      case_ok_ = true;
      current_ = Case{path_, topic_, std::string(name), line_no, {}};
      if (!valid_case_name(name)) {
        case_error(line_no, "case name \"" + std::string(name) +
                                "\" must be letters, digits, spaces and _ . , : / ( ) + = < > ' - (not empty)");
      } else if (!names_.insert(current_.name).second) {
        case_error(line_no, "duplicate case name \"" + current_.name + "\"");
      }
      return;
    }
    if (line.starts_with("--- ")) {
      if (!in_case_) return error(line_no, "section outside a case (a case starts with \"=== case NAME\")");
      return start_section(line.substr(4), line_no);
    }
    if (!in_case_) {
      // The file's preamble: comments and blank lines only.
      std::string_view t = line;
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      if (!t.empty() && t.front() != '#') error(line_no, "text outside a case (comments start with #)");
      return;
    }
    // Lines between "=== case" and the first section describe the case: kept for people, not run.
    if (!current_.sections.empty()) current_.sections.back().lines.emplace_back(line);
  }

  void start_section(std::string_view rest, int line_no) {
    std::vector<std::string_view> w = words(rest);
    const KindName* kind = w.empty() ? nullptr : find_kind(w[0]);
    if (kind == nullptr) {
      std::string known;
      for (const KindName& k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k.name);
      return case_error(line_no, "unknown section \"" + std::string(w.empty() ? "" : w[0]) + "\" (known: " + known + ")");
    }
    Section section;
    section.kind = kind->kind;
    section.line = line_no;
    std::size_t i = 1;
    if (kind->takes_name) {
      if (w.size() < 2 || !valid_rule_name(w[1])) {
        return case_error(line_no, std::string("--- ") + std::string(kind->name) +
                                       " needs a NAME of letters, digits, _ - .");
      }
      section.arg = std::string(w[1]);
      i = 2;
    }
    for (; i < w.size(); ++i) {
      if (w[i] == "raw" && kind->may_be_raw) {
        section.raw = true;
      } else if (w[i] == "new" && kind->kind == SectionKind::Client) {
        section.new_connection = true;
      } else if (w[i] == "fin" && kind->kind == SectionKind::Client) {
        section.fin = true;
      } else if (w[i] == "partial" && kind->may_be_partial) {
        section.partial = true;
      } else if (w[i] == "banner" && kind->kind == SectionKind::Backend) {
        section.banner = true;
      } else if (w[i] == "close" && kind->kind == SectionKind::Backend) {
        section.close_after = true;
      } else {
        return case_error(line_no, "section " + std::string(kind->name) + " does not take \"" + std::string(w[i]) + "\"");
      }
    }
    current_.sections.push_back(std::move(section));
  }

  void finish_case() {
    if (!in_case_) return;
    in_case_ = false;
    for (Section& s : current_.sections) {
      while (!s.lines.empty() && s.lines.back().find_first_not_of(" \t") == std::string::npos) s.lines.pop_back();
    }
    validate();
    if (case_ok_) out_.cases.push_back(std::move(current_));
  }

  void validate() {
    std::set<std::string> rules;
    std::set<SectionKind> seen;
    for (const Section& s : current_.sections) {
      const KindName& info = kind_info(s.kind);
      if (info.unique && !seen.insert(s.kind).second) {
        case_error(s.line, "more than one " + std::string(info.name) + " section");
      }
      if (s.kind == SectionKind::Rule && !rules.insert(s.arg).second) {
        case_error(s.line, "rule " + s.arg + " is defined twice");
      }
      if (s.kind == SectionKind::Client || s.kind == SectionKind::Backend || s.kind == SectionKind::ExpectClient ||
          s.kind == SectionKind::ExpectBackend) {
        check_escapes(s);
      }
      if ((s.kind == SectionKind::ExpectClient || s.kind == SectionKind::ExpectBackend) && s.lines.empty()) {
        case_error(s.line, std::string(info.name) + " is empty (write the message, or reset/closed/none)");
      }
    }
    bool half_closed = false;   // the client's connection so far ended its sending with `fin`
    for (const Section* s : current_.all(SectionKind::Client)) {
      if (half_closed && !s->new_connection) {
        case_error(s->line, "client: the connection was half-closed (fin) above; send on a new one (client new)");
      }
      half_closed = s->fin;
    }
    std::vector<const Section*> backends = current_.all(SectionKind::Backend);
    int banners = 0;
    for (const Section* b : backends) {
      if (b->is_word("none") && backends.size() > 1) {
        case_error(b->line, "backend none (nothing listens) must be the only backend section");
      }
      if (b->banner && ++banners > 1) case_error(b->line, "more than one backend banner section");
      if (b->is_word("none") && (b->banner || b->close_after)) {
        case_error(b->line, "backend none (nothing listens) takes neither banner nor close");
      }
    }
    if (current_.tcp()) validate_tcp(backends);
    if (current_.first(SectionKind::ExpectLoadError)) {
      for (SectionKind k : {SectionKind::Client, SectionKind::Backend, SectionKind::ExpectClient,
                            SectionKind::ExpectBackend, SectionKind::ExpectLog}) {
        if (const Section* s = current_.first(k)) {
          case_error(s->line, std::string(section_name(k)) +
                                  " cannot run: a case with expect-load-error stops when the configuration fails to load");
        }
      }
    }
  }

  // A tcp case compares bytes, framed by the length of what it expects: nothing is partial, and each
  // backend answer needs the expect-backend section that frames the message it answers.
  void validate_tcp(const std::vector<const Section*>& backends) {
    const Section* tcp = current_.first(SectionKind::Tcp);
    if (!tcp->lines.empty()) {
      case_error(tcp->line + 1, "tcp takes no lines (it makes the case a plain TCP virtual)");
    }
    for (const Section& s : current_.sections) {
      if (s.partial && (s.kind == SectionKind::ExpectClient || s.kind == SectionKind::ExpectBackend)) {
        case_error(s.line, std::string(section_name(s.kind)) + " partial: a tcp case compares bytes exactly");
      }
    }
    std::size_t framed = 0;
    for (const Section* s : current_.all(SectionKind::ExpectBackend)) {
      if (!s->is_word("none")) ++framed;
    }
    std::size_t answers = 0;
    for (const Section* b : backends) {
      if (b->banner || b->is_word("none")) continue;
      if (++answers > framed) {
        case_error(b->line, "backend answer #" + std::to_string(answers) + " has no expect-backend section #" +
                                 std::to_string(answers) + " (in a tcp case, expect-backend #N frames the message "
                                 "that backend answer #N answers)");
      }
    }
  }

  void check_escapes(const Section& s) {
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
      std::string bytes, message;
      bool no_line_end = false;
      if (!decode_line(s.lines[i], bytes, no_line_end, message)) {
        case_error(s.line + 1 + static_cast<int>(i), message);
      }
    }
  }

  void error(int line_no, const std::string& message) {
    out_.errors.push_back(path_ + ":" + std::to_string(line_no) + ": " + message);
  }
  void case_error(int line_no, const std::string& message) {
    error(line_no, message);
    case_ok_ = false;
  }

  std::string path_;
  std::string_view text_;
  std::string topic_;
  CaseFile out_;
  Case current_;
  bool in_case_ = false;
  bool case_ok_ = true;
  std::set<std::string> names_;
};

}  // namespace

const char* section_name(SectionKind kind) { return kind_info(kind).name.data(); }

std::string Section::text() const {
  std::string out;
  for (const std::string& l : lines) out.append(l).push_back('\n');
  return out;
}

std::vector<const Section*> Case::all(SectionKind kind) const {
  std::vector<const Section*> out;
  for (const Section& s : sections) {
    if (s.kind == kind) out.push_back(&s);
  }
  return out;
}

const Section* Case::first(SectionKind kind) const {
  for (const Section& s : sections) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

CaseFile parse_case_file(const std::string& path, std::string_view text) { return Parser(path, text).run(); }

}  // namespace irulesd::cases
