#include "tclext/rule_loader.h"

#include <algorithm>
#include <charconv>

#include "tclext/command_policy.h"
#include "tclext/f5_dialect.h"
#include "tclext/script_check.h"

namespace irulesd::tclext {
namespace {

// BIG-IP events of modules and profiles irulesd does not have: a rule using one is refused with a
// message that says so, not as a typo.
bool is_f5_event(std::string_view name) {
  static constexpr std::string_view kPrefixes[] = {
      "CLIENTSSL_", "SERVERSSL_", "ACCESS_", "ACCESS2_", "ASM_", "DNS_", "SIP_", "RTSP_", "STREAM_", "CACHE_",
      "AUTH_", "NAME_", "PERSIST_", "FIX_", "MQTT_", "DIAMETER_", "RADIUS_", "GENERICMESSAGE_", "MR_", "PCP_",
      "PEM_", "SSO_", "WS_", "HTML_", "XML_", "ADAPT_", "ICAP_", "SOCKS_", "IVS_", "QOE_", "CLASSIFICATION_",
      "BOTDEFENSE_", "ANTIFRAUD_", "PING_", "FLOW_", "SCTP_", "IIOP_", "ECA_", "REWRITE_", "ILX_", "AVR_"};
  static constexpr std::string_view kNames[] = {"HTTP_CLASS_FAILED", "HTTP_CLASS_SELECTED", "HTTP_PROXY_REQUEST",
                                                "HTTP_PROXY_CONNECT", "HTTP_REJECT", "HTTP_RESPONSE_CONTINUE",
                                                "USER_REQUEST", "USER_RESPONSE", "LB_QUEUED", "CLIENTSSL_DATA",
                                                "SERVER_INIT", "CLIENT_RESUMED"};
  for (std::string_view prefix : kPrefixes) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  for (std::string_view known : kNames) {
    if (name == known) return true;
  }
  return false;
}

constexpr const char* kWhenUsage = "wrong # args: should be \"when EVENT ?priority N? BODY\"";

std::optional<int> parse_priority(std::string_view text) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < kMinPriority || value > kMaxPriority) return std::nullopt;
  return value;
}

std::string bad_priority(std::string_view text) {
  return "bad priority \"" + std::string(text) + "\": must be an integer from 0 to 1000";
}

// Works on the rule's text translated from F5's dialect (f5_dialect.h): it has the lines of the text
// as written, so every line found in it is a line of the file.
class RuleLoader {
 public:
  RuleLoader(Tcl_Interp* interp, const Rule& rule, LoadedRule* out, std::vector<ConfigError>* errors,
             const Config* config)
      : interp_(interp),
        rule_(rule),
        text_(translate_f5_dialect(rule.text)),
        out_(out),
        errors_(errors),
        config_(config) {}

  bool load() {
    out_->name = rule_.name;
    out_->handlers.clear();
    const char* text = text_.data();
    const char* failed = for_each_command(interp_, text, text + text_.size(), [&](const Tcl_Parse& parse) {
      if (parse.numWords > 0) top_level(words_of(parse), parse.commandStart);
      return true;
    });
    if (failed) {   // past a parse error nothing can be trusted: stop there
      fail(failed, Tcl_GetStringResult(interp_));
      Tcl_ResetResult(interp_);
    }
    for (std::size_t i = 0; i < out_->handlers.size(); ++i) {
      if (!explicit_priority_[i]) out_->handlers[i].priority = rule_priority_;
    }
    // One event twice in a rule needs distinct priorities (BIG-IP refuses the rule otherwise).
    for (std::size_t i = 0; i < out_->handlers.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const Handler& a = out_->handlers[j];
        const Handler& b = out_->handlers[i];
        if (a.event == b.event && a.priority == b.priority) {
          errors_->push_back(ConfigError{rule_.loc.file, b.when_line,
                                         "rule " + rule_.name + ": event " + event_name(b.event) +
                                             " is handled twice with priority " + std::to_string(b.priority) +
                                             " (give each a distinct priority)"});
          ok_ = false;
        }
      }
    }
    return ok_;
  }

 private:
  void top_level(const std::vector<Word>& w, const char* command_start) {
    std::string_view name = w[0].literal ? w[0].value() : std::string_view();
    if (name == "when") return when(w, command_start);
    if (name == "proc") return proc(w, command_start);
    // `timing on|off` for the whole rule: statistics are not collected; accepted so rules load unchanged.
    if (name == "timing" && w.size() == 2 && w[1].literal &&
        (w[1].value() == "on" || w[1].value() == "off" || w[1].value() == "enable" || w[1].value() == "disable")) {
      return;
    }
    if (name == "priority" && w.size() == 2) {
      std::optional<int> priority = w[1].literal ? parse_priority(w[1].value()) : std::nullopt;
      if (!priority) return fail(w[1].start, bad_priority(std::string_view(w[1].start, w[1].size)));
      rule_priority_ = *priority;
      return;
    }
    fail(command_start, "code outside of a when block: \"" +
                            std::string(w[0].start, static_cast<std::size_t>(w[0].size)) + "\"");
  }

  // when EVENT ?priority N? ?timing on|off? BODY
  void when(const std::vector<Word>& w, const char* command_start) {
    const std::size_t n = w.size();
    if (n < 3 || n % 2 == 0) return fail(command_start, kWhenUsage);
    if (!w[1].literal) return fail(w[1].start, "event name must be a literal");
    std::optional<Event> event = parse_event_name(w[1].value());
    if (!event) {
      if (is_f5_event(w[1].value())) {
        return fail(w[1].start, "event " + std::string(w[1].value()) + " is not supported by irulesd");
      }
      return fail(w[1].start, "unknown event " + std::string(w[1].value()));
    }

    Handler handler;
    handler.event = *event;
    bool has_priority = false;
    for (std::size_t i = 2; i + 1 < n; i += 2) {
      std::string_view option = w[i].literal ? w[i].value() : std::string_view();
      std::string_view value = w[i + 1].literal ? w[i + 1].value() : std::string_view();
      if (option == "priority") {
        std::optional<int> priority = parse_priority(value);
        if (!priority) return fail(w[i + 1].start, bad_priority(value));
        handler.priority = *priority;
        has_priority = true;
      } else if (option == "timing" && (value == "on" || value == "off" || value == "enable" || value == "disable")) {
        // Timing statistics are not collected; accepted so BIG-IP rules load unchanged.
      } else {
        return fail(w[i].start, kWhenUsage);
      }
    }

    std::optional<std::string_view> body = braced_text(w[n - 1]);
    if (!body) return fail(w[n - 1].start, "the body of when must be a braced script");
    const CommandCheck commands{&CommandPolicy::instance(), handler.event, config_, &handler.pauses};
    if (auto error = check_script(interp_, body->data(), body->size(), &commands)) {
      return fail(error->where, error->message);
    }
    handler.body.assign(*body);
    handler.line = line_of(body->data());
    handler.when_line = line_of(command_start);
    out_->handlers.push_back(std::move(handler));
    explicit_priority_.push_back(has_priority);
  }

  // proc NAME ARGS BODY at the top of a rule: a procedure its handlers (and other rules') `call`.
  void proc(const std::vector<Word>& w, const char* command_start) {
    if (w.size() != 4) return fail(command_start, "wrong # args: should be \"proc name args body\"");
    if (!w[1].literal || w[1].value().empty() || w[1].value().find("::") != std::string_view::npos) {
      return fail(w[1].start, "proc name must be a plain word");
    }
    std::optional<std::string_view> args = w[2].literal ? std::optional(w[2].value()) : braced_text(w[2]);
    std::optional<std::string_view> body = braced_text(w[3]);
    if (!args || !body) return fail(w[3].start, "the body of proc must be a braced script");
    for (const Proc& other : out_->procs) {
      if (other.name == w[1].value()) return fail(command_start, "proc " + other.name + " is defined twice");
    }
    const CommandCheck commands{&CommandPolicy::instance(), std::nullopt, config_};   // a proc runs in any event
    if (auto error = check_script(interp_, body->data(), body->size(), &commands)) {
      return fail(error->where, error->message);
    }
    out_->procs.push_back(Proc{std::string(w[1].value()), std::string(*args), std::string(*body), line_of(body->data())});
  }

  int line_of(const char* where) const {
    const char* begin = text_.data();
    where = std::clamp(where, begin, begin + text_.size());
    return rule_.loc.line + static_cast<int>(std::count(begin, where, '\n'));
  }

  void fail(const char* where, const std::string& message) {
    errors_->push_back(ConfigError{rule_.loc.file, line_of(where), "rule " + rule_.name + ": " + message});
    ok_ = false;
  }

  Tcl_Interp* interp_;
  const Rule& rule_;
  const std::string text_;   // rule_.text in Tcl 8.6
  LoadedRule* out_;
  std::vector<ConfigError>* errors_;
  const Config* config_;
  std::vector<bool> explicit_priority_;
  int rule_priority_ = kDefaultPriority;
  bool ok_ = true;
};

}  // namespace

std::optional<Event> parse_event_name(std::string_view name) { return event_from_name(name); }

bool load_rule(Tcl_Interp* interp, const Rule& rule, LoadedRule* out, std::vector<ConfigError>* errors,
               const Config* config) {
  return RuleLoader(interp, rule, out, errors, config).load();
}

}  // namespace irulesd::tclext
