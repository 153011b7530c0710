#include "test/irules/case_runner.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "core/config.h"
#include "core/config_version.h"
#include "core/net_util.h"
#include "core/worker.h"
#include "test/irules/case_text.h"
#include "test/irules/http_peers.h"
#include "test/unit/log_capture.h"

namespace irulesd::cases {
namespace {

constexpr const char* kVirtualName = "/Common/vs";
constexpr const char* kPoolName = "/Common/backend_pool";
constexpr const char* kDefaultReply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

std::string join(const std::vector<std::string>& lines, const std::string& indent = "    ") {
  std::string out;
  for (const std::string& l : lines) out.append(indent).append(l).push_back('\n');
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "   12  text" per line, for showing a generated file next to FILE:LINE messages.
std::string numbered(const std::string& text) {
  std::string out;
  int line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += fmt::format("    {:4}  {}\n", ++line, text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The default virtual's properties, in the order they are written; `--- virtual` lines replace them.
struct Property {
  std::string key;
  std::string value;
};

// One log line as the case compares it: level and message, the temporary folder cut from paths.
struct LogEntry {
  std::string level;
  std::string message;
};

// "[warning] text" -> level "warning", message "text"; no prefix -> level empty.
LogEntry parse_expected_log(const std::string& line) {
  if (line.size() > 2 && line[0] == '[') {
    std::size_t close = line.find("] ");
    if (close != std::string::npos) {
      std::string level = line.substr(1, close - 1);
      for (const char* known : {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}) {
        if (level == known) return {level, line.substr(close + 2)};
      }
    }
  }
  return {"", line};
}

class CaseRun {
 public:
  CaseRun(const Case& c, RuleEngineFactory& factory) : c_(c), factory_(factory) {}

  std::vector<Failure> run() {
    if (!make_workdir()) return failures_;
    run_in_workdir();
    std::error_code ec;
    std::filesystem::remove_all(workdir_, ec);
    return failures_;
  }

 private:
  // ----- setting up ---------------------------------------------------------------------------

  bool make_workdir() {
    char path[] = "/tmp/irules_case_XXXXXX";
    if (::mkdtemp(path) == nullptr) {
      fail(c_.line, "cannot create a temporary folder");
      return false;
    }
    workdir_ = path;
    std::filesystem::create_directory(workdir_ + "/irules");
    return true;
  }

  void run_in_workdir() {
    std::string error;
    // The backend's socket exists before the config is written, so the pool can name its port.
    std::vector<const Section*> backends = c_.all(SectionKind::Backend);
    bool backend_none = backends.size() == 1 && backends[0]->is_word("none");
    uint16_t backend_port = 0, dead_port = 0, virtual_port = 0;
    int backend_fd = listen_ephemeral(kBackendAddr, &backend_port, error);
    int dead_fd = listen_ephemeral(kBackendAddr, &dead_port, error);
    int virtual_fd = listen_ephemeral(kVirtualAddr, &virtual_port, error);
    if (backend_fd < 0 || dead_fd < 0 || virtual_fd < 0) {
      fail(c_.line, "cannot set up sockets: " + error);
      for (int fd : {backend_fd, dead_fd, virtual_fd}) {
        if (fd >= 0) ::close(fd);
      }
      return;
    }
    ::close(dead_fd);   // a port on the backend address that nothing listens on
    if (backend_none) {
      ::close(backend_fd);
      backend_fd = -1;
    }
    placeholders_.set("client_addr", kClientAddr);
    placeholders_.set("virtual_addr", kVirtualAddr);
    placeholders_.set("virtual_port", std::to_string(virtual_port));
    placeholders_.set("backend_addr", kBackendAddr);
    placeholders_.set("backend_port", std::to_string(backend_port));
    placeholders_.set("dead_port", std::to_string(dead_port));

    test::LogCapture log;
    std::shared_ptr<const ConfigVersion> version = load(virtual_fd);
    if (!version) {
      ::close(virtual_fd);
      if (backend_fd >= 0) ::close(backend_fd);
      check_log(log);
      return;
    }

    Backend backend;
    if (backend_fd >= 0) backend.start(backend_fd, backend_script());
    {
      Worker worker(0, factory_, WorkerOptions{1.0});
      worker.start(version);
      version.reset();
      play_client(virtual_port);
      worker.post_stop(false);
      worker.join();
    }
    backend.stop();
    check_backend(backend.received());
    check_log(log);
  }

  // Writes irules/NAME.tcl and bigip.conf, loads them as `irulesd --check` does, and builds the
  // version the worker runs. Null when the configuration did not load (expected or not).
  std::shared_ptr<const ConfigVersion> load(int virtual_fd) {
    std::vector<std::string> rule_names;
    for (const Section* rule : c_.all(SectionKind::Rule)) {
      std::ofstream(workdir_ + "/irules/" + rule->arg + ".tcl") << rule->text();
      rule_names.push_back("/Common/" + rule->arg);
    }
    const std::string config_path = workdir_ + "/bigip.conf";
    std::ofstream(config_path) << config_text(rule_names);

    ConfigLoadResult loaded = load_config(config_path, "");
    std::vector<ConfigError> errors = loaded.errors;
    if (loaded.config) errors = factory_.check(*loaded.config);
    std::vector<std::string> messages;
    for (const ConfigError& e : errors) messages.push_back(local_paths(e.str()));

    if (const Section* expected = c_.first(SectionKind::ExpectLoadError)) {
      std::vector<std::string> want;
      for (const std::string& line : expected->lines) want.push_back(placeholders_.apply(line));
      if (messages.empty()) {
        fail(expected->line, "expect-load-error: the configuration loaded without errors; expected:\n" + join(want));
      } else if (messages != want) {
        std::string report = "expect-load-error: the errors differ (- expected, + actual):\n" + line_diff(want, messages);
        if (std::any_of(want.begin(), want.end(), [](const std::string& m) { return m.starts_with("bigip.conf:"); }) ||
            std::any_of(messages.begin(), messages.end(), [](const std::string& m) { return m.starts_with("bigip.conf:"); })) {
          report += "  bigip.conf as the runner wrote it:\n" + numbered(read_text(config_path));
        }
        fail(expected->line, report);
      }
      return nullptr;
    }
    if (!messages.empty()) {
      fail(c_.line, "the configuration did not load:\n" + join(messages) +
                        "  (a case that means this writes the lines under --- expect-load-error)");
      return nullptr;
    }

    // The version the daemon would make: listen map, pools' runtime (load balancing, member stats),
    // SNAT source.
    std::vector<ConfigError> version_errors;
    std::shared_ptr<ConfigVersion> version = make_config_version(loaded.config, 1, version_errors);
    if (!version) {
      std::vector<std::string> lines;
      for (const ConfigError& e : version_errors) lines.push_back(e.str());
      fail(c_.line, "the configuration did not load:\n" + join(lines));
      return nullptr;
    }
    const Config& config = *loaded.config;
    const VirtualServer* vs = config.find_virtual(kVirtualName);
    if (vs == nullptr) {
      fail(c_.line, std::string("the configuration has no virtual ") + kVirtualName);
      return nullptr;
    }
    version->new_listen_fds[listen_key(*vs)] = {virtual_fd};
    return version;
  }

  // The case's own config first, so that its line numbers are the lines of its --- config section;
  // then the backend pool and the virtual the runner provides.
  std::string config_text(const std::vector<std::string>& rule_names) {
    std::string text;
    if (const Section* config = c_.first(SectionKind::Config)) text = placeholders_.apply(config->text());
    text += placeholders_.apply(
        "ltm pool /Common/backend_pool {\n"
        "    members {\n"
        "        /Common/${backend_addr}:${backend_port} {\n"
        "            address ${backend_addr}\n"
        "        }\n"
        "    }\n"
        "}\n");
    std::string rules = "{\n";
    for (const std::string& name : rule_names) rules += "        " + name + "\n";
    rules += "    }";
    std::vector<Property> props = {
        {"destination", placeholders_.apply("/Common/${virtual_addr}:${virtual_port}")},
        {"ip-protocol", "tcp"},
        {"pool", kPoolName},
        {"profiles", c_.tcp() ? "{\n        /Common/tcp { }\n    }" : "{\n        /Common/http { }\n        /Common/tcp { }\n    }"},
        {"rules", rules},
        {"source", "0.0.0.0/0"},
    };
    if (rule_names.empty()) props.erase(props.begin() + 4);
    if (const Section* overrides = c_.first(SectionKind::Virtual)) apply_overrides(*overrides, props);
    text += std::string("ltm virtual ") + kVirtualName + " {\n";
    for (const Property& p : props) text += "    " + p.key + " " + p.value + "\n";
    text += "}\n";
    return text;
  }

  // Each property is one line, or runs on until its braces close; a key alone removes the property.
  void apply_overrides(const Section& section, std::vector<Property>& props) {
    std::vector<std::string> entries;
    int depth = 0;
    for (const std::string& raw : section.lines) {
      std::string line = placeholders_.apply(raw);
      if (depth > 0) {
        entries.back() += "\n" + line;
      } else if (!trim(line).empty()) {
        entries.push_back(trim(line));
      }
      depth += static_cast<int>(std::count(line.begin(), line.end(), '{') - std::count(line.begin(), line.end(), '}'));
    }
    for (const std::string& entry : entries) {
      std::size_t sp = entry.find_first_of(" \t");
      std::string key = entry.substr(0, sp);
      std::string value = sp == std::string::npos ? "" : trim(std::string_view(entry).substr(sp));
      auto it = std::find_if(props.begin(), props.end(), [&](const Property& p) { return p.key == key; });
      if (value.empty()) {
        if (it != props.end()) props.erase(it);
      } else if (it != props.end()) {
        it->value = value;
      } else {
        props.push_back({key, value});
      }
    }
  }

  // HTTP: replies by request, the last one for all later requests. TCP: the i-th expect-backend
  // section frames the i-th message by its length, and the i-th answer (banner aside) answers it.
  BackendScript backend_script() {
    BackendScript script;
    script.tcp = c_.tcp();
    for (const Section* s : c_.all(SectionKind::Backend)) {
      BackendReply reply;
      if (s->is_word("close") && !s->close_after) {
        reply = {BackendReply::Kind::Close, {}, true};
      } else if (s->is_word("reset") && !s->close_after) {
        reply = {BackendReply::Kind::Reset, {}, true};
      } else if (script.tcp) {
        reply = {BackendReply::Kind::Bytes, bytes_of(*s), s->close_after};
      } else {
        reply = BackendReply::answer(bytes_of(*s));
        reply.close_after = reply.close_after || s->close_after;
      }
      if (s->banner) {
        script.banner = std::move(reply);
      } else {
        script.replies.push_back(std::move(reply));
      }
    }
    if (script.tcp) {
      for (const Section* s : c_.all(SectionKind::ExpectBackend)) {
        if (!s->is_word("none")) script.frame_lengths.push_back(bytes_of(*s).size());
      }
    } else if (script.replies.empty()) {
      script.replies.push_back(BackendReply::answer(kDefaultReply));
    }
    return script;
  }

  // ----- the client ---------------------------------------------------------------------------

  // Walks the client and expect-client sections in file order: a client section sends (`new`: on a
  // fresh connection, after ending the one before), an expect-client section reads one response and
  // compares it at once.
  void play_client(uint16_t virtual_port) {
    if (!c_.first(SectionKind::Client) && !c_.first(SectionKind::ExpectClient)) return;
    sockaddr_in to{};
    make_ipv4(kVirtualAddr, virtual_port, to);
    std::unique_ptr<Client> client;
    int connections = 0;
    std::deque<std::string> methods;   // of the requests not answered yet, for HEAD's bodiless response
    auto read_next = [&] {
      bool head = !methods.empty() && methods.front() == "HEAD";
      if (!methods.empty()) methods.pop_front();
      return client->read_message(head, kReadTimeoutMs);
    };
    auto connect = [&]() -> bool {
      client = std::make_unique<Client>();
      std::string error;
      if (!client->connect(kClientAddr, to, error)) {
        fail(c_.line, error);
        return false;
      }
      const std::string port = std::to_string(client->local_port());
      placeholders_.set("client_port", port);
      placeholders_.set("client_port_" + std::to_string(++connections), port);
      return true;
    };
    // Requests that no expect-client reads are still answered before the client ends, so that what
    // they did at the backend and in the log is complete when the case compares it.
    auto finish = [&] {
      while (!methods.empty()) {
        if (read_next().kind != ClientRead::Kind::Message) break;
      }
      methods.clear();
      std::string extra = client->finish(kReadTimeoutMs);
      if (!extra.empty()) {
        fail(c_.line, "connection " + std::to_string(connections) +
                          ": the client received bytes that no request asked for, after its last response:\n" +
                          join(shown(extra)));
      }
    };
    if (!connect()) return;
    int response_index = 0;
    for (const Section& s : c_.sections) {
      if (s.kind == SectionKind::Client) {
        if (s.new_connection) {
          finish();
          if (!connect()) return;
        }
        std::string bytes = bytes_of(s);
        if (!bytes.empty() && !c_.tcp()) methods.push_back(bytes.substr(0, bytes.find(' ')));
        client->send(bytes);
        if (s.fin) client->shutdown_write();
      } else if (s.kind == SectionKind::ExpectClient && c_.tcp()) {
        check_bytes(s, ++response_index, *client);
      } else if (s.kind == SectionKind::ExpectClient) {
        check_response(s, ++response_index, read_next());
      }
    }
    finish();
  }

  void check_response(const Section& s, int index, const ClientRead& read) {
    const std::string what = "expect-client #" + std::to_string(index);
    std::vector<std::string> actual;
    switch (read.kind) {
      case ClientRead::Kind::Message:
        actual = display_lines(read.bytes);
        break;
      case ClientRead::Kind::Reset:
        actual = {"reset"};
        break;
      case ClientRead::Kind::Closed:
        actual = {"closed"};
        break;
      case ClientRead::Kind::Incomplete:
        actual = display_lines(read.bytes);
        actual.push_back("(the connection ended in the middle of this response)");
        break;
      case ClientRead::Kind::Timeout:
        actual = display_lines(read.bytes);
        actual.push_back("(no complete response within " + std::to_string(kReadTimeoutMs) + " ms)");
        break;
    }
    if (s.is_word("reset") || s.is_word("closed")) {
      if (actual != s.lines) {
        fail(s.line, what + ": expected the connection " + (s.is_word("reset") ? "reset" : "closed (FIN)") +
                         " before a response; the client got:\n" + join(actual));
      }
      return;
    }
    if (s.partial) {
      if (read.kind != ClientRead::Kind::Message) {
        fail(s.line, what + ": no response to match lines against; the client got:\n" + join(actual));
        return;
      }
      check_partial(s, what, read.bytes, actual);
      return;
    }
    check_exact(s, what, actual);
  }

  // A tcp case reads as many bytes as the section holds (or, for closed / reset, to the end of the
  // connection) and compares them exactly.
  void check_bytes(const Section& s, int index, Client& client) {
    const std::string what = "expect-client #" + std::to_string(index);
    const bool to_end = s.is_word("reset") || s.is_word("closed");
    const std::string want_bytes = to_end ? std::string() : bytes_of(s);
    const ClientRead read = client.read_bytes(to_end ? Client::kUntilEnd : want_bytes.size(), kReadTimeoutMs);
    std::vector<std::string> actual = shown(read.bytes);
    switch (read.kind) {
      case ClientRead::Kind::Message:
        break;
      case ClientRead::Kind::Reset:
        actual = {"reset"};
        break;
      case ClientRead::Kind::Closed:
        actual = {"closed"};
        break;
      case ClientRead::Kind::Incomplete:
        actual.push_back(client.was_reset() ? "(then the connection was reset)" : "(then the connection was closed)");
        break;
      case ClientRead::Kind::Timeout:
        actual.push_back(to_end ? "(the connection was still open after " + std::to_string(kReadTimeoutMs) + " ms)"
                                : "(" + std::to_string(read.bytes.size()) + " of the " + std::to_string(want_bytes.size()) +
                                      " bytes within " + std::to_string(kReadTimeoutMs) + " ms)");
        break;
    }
    if (to_end) {
      if (actual != s.lines) {
        fail(s.line, what + ": expected the connection " + (s.is_word("reset") ? "reset" : "closed (FIN)") +
                         " with no more bytes; the client got:\n" + join(actual));
      }
      return;
    }
    std::vector<std::string> want = shown(want_bytes);
    if (want != actual) fail(s.line, what + " differs (- expected, + actual):\n" + line_diff(want, actual));
  }

  // ----- the backend --------------------------------------------------------------------------

  void check_backend(const std::vector<BackendMessage>& received) {
    std::vector<const Section*> expected = c_.all(SectionKind::ExpectBackend);
    if (expected.empty()) return;
    std::vector<std::vector<std::string>> actual;
    for (const BackendMessage& m : received) {
      actual.push_back(shown(m.bytes));
      // A tcp message past the last expected one has no length to be complete against.
      if (!m.complete && (!c_.tcp() || actual.size() <= expected.size())) {
        actual.back().push_back(c_.tcp() ? "(the connection ended before this message was complete)"
                                         : "(the connection ended before this request was complete)");
      }
    }
    if (expected.size() == 1 && expected[0]->is_word("none")) {
      if (!received.empty()) {
        std::string got;
        for (const auto& lines : actual) got += join(lines) + "    --\n";
        fail(expected[0]->line, "expect-backend: nothing should reach the backend; it received " +
                                    std::to_string(received.size()) + (c_.tcp() ? " message(s):\n" : " request(s):\n") + got);
      }
      return;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const Section& s = *expected[i];
      const std::string what = "expect-backend #" + std::to_string(i + 1);
      if (s.is_word("none")) {
        fail(s.line, what + ": \"none\" only makes sense as the only expect-backend section");
        continue;
      }
      if (i >= received.size()) {
        fail(s.line, what + ": the backend received only " + std::to_string(received.size()) +
                         (c_.tcp() ? " message(s)" : " request(s)"));
        continue;
      }
      if (s.partial) {
        check_partial(s, what, received[i].bytes, actual[i]);
      } else {
        check_exact(s, what, actual[i]);
      }
    }
    if (received.size() > expected.size()) {
      std::string extra;
      for (std::size_t i = expected.size(); i < received.size(); ++i) extra += join(actual[i]) + "    --\n";
      const char* unit = c_.tcp() ? " messages" : " requests";
      fail(expected.back()->line, "the backend received " + std::to_string(received.size()) + unit + ", the case expects " +
                                      std::to_string(expected.size()) + "; the others:\n" + extra);
    }
  }

  // ----- comparisons --------------------------------------------------------------------------

  void check_exact(const Section& s, const std::string& what, const std::vector<std::string>& actual) {
    std::vector<std::string> want = shown(bytes_of(s));
    if (want != actual) fail(s.line, what + " differs (- expected, + actual):\n" + line_diff(want, actual));
  }

  // Each line of the section must be a line of the message; `!LINE` must not be. A line that is
  // just "Name:" stands for any header of that name (case-insensitive).
  void check_partial(const Section& s, const std::string& what, const std::string& bytes,
                     const std::vector<std::string>& shown) {
    std::vector<std::string> lines = display_lines(bytes, false);
    std::string problems;
    for (const std::string& raw : s.lines) {
      std::string pattern = placeholders_.apply(raw);
      bool negative = !pattern.empty() && pattern[0] == '!';
      if (negative) pattern.erase(0, 1);
      bool header_name = pattern.size() > 1 && pattern.back() == ':' && pattern.find(' ') == std::string::npos;
      bool found = std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
        if (!header_name) return line == pattern;
        return line.size() >= pattern.size() && strncasecmp(line.c_str(), pattern.c_str(), pattern.size()) == 0;
      });
      if (found == negative) {
        problems += "    " + std::string(negative ? "present, must not be: " : "missing: ") + pattern +
                    (header_name ? " (a header of that name)" : "") + "\n";
      }
    }
    if (!problems.empty()) fail(s.line, what + " does not match:\n" + problems + "  the message was:\n" + join(shown));
  }

  void check_log(const test::LogCapture& log) {
    std::vector<LogEntry> actual;
    for (const std::string& line : log.lines()) {
      // "Nov 25 12:00:00 irulesd LEVEL tmm[PID]: MESSAGE"
      std::size_t tmm = line.find(" tmm[");
      std::size_t colon = line.find("]: ");
      if (tmm == std::string::npos || colon == std::string::npos) {
        actual.push_back({"", local_paths(line)});
        continue;
      }
      std::size_t level_start = line.rfind(' ', tmm - 1);
      actual.push_back({line.substr(level_start + 1, tmm - level_start - 1), local_paths(line.substr(colon + 3))});
    }
    const Section* s = c_.first(SectionKind::ExpectLog);
    std::vector<LogEntry> want;
    if (s) {
      for (const std::string& line : s->lines) want.push_back(parse_expected_log(placeholders_.apply(line)));
    }
    auto same = [&](std::size_t i, std::size_t j) {
      return want[i].message == actual[j].message && (want[i].level.empty() || want[i].level == actual[j].level);
    };
    std::vector<std::string> want_text, actual_text;
    for (const LogEntry& e : want) want_text.push_back(e.level.empty() ? e.message : "[" + e.level + "] " + e.message);
    for (const LogEntry& e : actual) actual_text.push_back("[" + e.level + "] " + e.message);
    std::size_t common = 0;
    std::string diff = line_diff(want_text, actual_text, same, &common);
    bool ok = s && s->partial ? common == want.size() : common == want.size() && want.size() == actual.size();
    if (ok) return;
    if (!s) {
      fail(c_.line, "the log should be empty (the case has no expect-log section); it has:\n" + join(actual_text));
    } else {
      fail(s->line, std::string("expect-log") + (s->partial ? " partial" : "") +
                        " differs (- expected, + actual):\n" + diff);
    }
  }

  // ----- helpers ------------------------------------------------------------------------------

  // The bytes of a message section: always raw in a tcp case, else as the section says.
  std::string bytes_of(const Section& s) const { return message_bytes(applied(s), c_.tcp() || s.raw); }

  // Bytes for a report, in the syntax that reads them back: raw lines in a tcp case, else HTTP lines.
  std::vector<std::string> shown(std::string_view bytes) const {
    return c_.tcp() ? byte_lines(bytes) : display_lines(bytes);
  }

  std::vector<std::string> applied(const Section& s) const {
    std::vector<std::string> out;
    for (const std::string& line : s.lines) out.push_back(placeholders_.apply(line));
    return out;
  }

  // Paths inside the temporary folder read as they would next to a real bigip.conf.
  std::string local_paths(const std::string& text) const { return replace_all(text, workdir_ + "/", ""); }

  void fail(int line, const std::string& message) { failures_.push_back({line, message}); }

  const Case& c_;
  RuleEngineFactory& factory_;
  std::string workdir_;
  Placeholders placeholders_;
  std::vector<Failure> failures_;
};

}  // namespace

std::vector<Failure> run_case(const Case& c, RuleEngineFactory& factory) { return CaseRun(c, factory).run(); }

std::vector<Failure> check_expected_failure(const Case& c, const std::vector<Failure>& failures) {
  const Section* s = c.first(SectionKind::ExpectFailure);
  if (s == nullptr) return failures;
  if (failures.empty()) return {{s->line, "expect-failure: the case passed, it should have failed"}};
  std::vector<std::string> report;
  for (const Failure& f : failures) {
    std::string text = c.file + ":" + std::to_string(f.line) + ": " + f.message;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      report.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  std::size_t at = 0;
  for (const std::string& raw : s->lines) {
    std::string want = trim(raw);
    if (want.empty()) continue;
    while (at < report.size() && report[at].find(want) == std::string::npos) ++at;
    if (at == report.size()) {
      return {{s->line, "expect-failure: the report lacks \"" + want +
                            "\" (after the lines matched before it); the report was:\n" + join(report)}};
    }
    ++at;
  }
  return {};
}

}  // namespace irulesd::cases
