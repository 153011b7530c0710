// Reading one typed property value (ValueKind) with its FILE:LINE error, shared by every object parser.
#include <string>

#include "core/config_parser_impl.h"
#include "core/config_values.h"

namespace irulesd::config_parser {

Setting enabled_disabled(const char* key, int id) {
  return Setting{key, ValueKind::Choice, id, 0, 0, {{"enabled", 1}, {"disabled", 0}}, {}};
}

Setting yes_no(const char* key, int id) {
  return Setting{key, ValueKind::Choice, id, 0, 0, {{"yes", 1}, {"no", 0}}, {}};
}

Setting only(const char* key, std::vector<const char*> values) {
  return Setting{key, ValueKind::Only, kIgnored, 0, 0, {}, std::move(values)};
}

Setting count(const char* key, int id, uint64_t min, uint64_t max, std::vector<std::pair<const char*, uint64_t>> words) {
  return Setting{key, ValueKind::Count, id, min, max, std::move(words), {}};
}

// What real bigip.conf files carry on any object and what changes nothing here: accepted, dropped
// (description is kept where the model has it).
const std::vector<Setting>& metadata_settings() {
  static const std::vector<Setting> settings = {
      {"app-service", ValueKind::Any},   {"partition", ValueKind::Any},     {"creation-time", ValueKind::Any},
      {"last-modified-time", ValueKind::Any}, {"creation-user", ValueKind::Any}, {"modify-user", ValueKind::Any},
      {"vs-index", ValueKind::Any},      {"metadata", ValueKind::Any},      {"description", ValueKind::Text, kDescription},
  };
  return settings;
}

namespace {

// "a", "a or b", "a, b or c"
std::string or_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::vector<std::string> word_names(const Setting& s) {
  std::vector<std::string> out;
  for (const auto& w : s.words) out.push_back(w.first);
  return out;
}

bool find_word(const Setting& s, const std::string& text, uint64_t* n) {
  for (const auto& w : s.words) {
    if (text == w.first) {
      *n = w.second;
      return true;
    }
  }
  return false;
}

bool is_supported(const Setting& s, const std::string& text) {
  if (s.supported.empty()) return true;
  for (const char* v : s.supported) {
    if (text == v) return true;
  }
  return false;
}

std::vector<std::string> supported_names(const Setting& s) {
  return std::vector<std::string>(s.supported.begin(), s.supported.end());
}

// `*:*`, `*:80`, `10.0.0.1:*`, `10.0.0.1:80`; with bare_ok also `*` and `10.0.0.1` (no port).
bool parse_destination(const std::string& text, bool bare_ok, Value* out) {
  std::size_t colon = text.rfind(':');
  std::string addr = colon == std::string::npos ? text : text.substr(0, colon);
  if (colon == std::string::npos && !bare_ok) return false;
  if (addr != "*" && !parse_ipv4(addr, nullptr)) return false;
  out->s = addr == "*" ? std::string() : addr;
  out->n = 0;
  if (colon == std::string::npos) return true;
  std::string port = text.substr(colon + 1);
  if (port == "*") return true;
  uint16_t p = 0;
  if (!parse_port(port, &p)) return false;
  out->n = p;
  return true;
}

}  // namespace

const Setting* Parser::lookup(const std::vector<Setting>& table, const ConfigWord& key) {
  if (key.kind != ConfigWord::Kind::Bare) return nullptr;
  for (const Setting& s : table) {
    if (key.text == s.key) return &s;
  }
  for (const Setting& s : metadata_settings()) {
    if (key.text == s.key) return &s;
  }
  return nullptr;
}

bool Parser::read_setting(PropertyReader& r, const ConfigWord& key, const Setting& s, const std::string& object,
                          Value* out) {
  *out = Value{};
  if (s.kind == ValueKind::Flag) {
    out->n = 1;
    return true;
  }
  if (s.kind == ValueKind::Any) {
    if (!r.next_value()) {
      error(key.line, object, key.text + " is missing its value");
      return false;
    }
    return true;
  }
  const ConfigWord* v = scalar_value(r, key, object);
  if (!v) return false;
  const std::string text = v->value();
  const bool bare = v->kind == ConfigWord::Kind::Bare;
  auto bad = [&](const std::string& why) {
    error(v->line, object, key.text + " " + v->text + " " + why);
    return false;
  };

  switch (s.kind) {
    case ValueKind::Flag:
    case ValueKind::Any:
      return true;
    case ValueKind::Text:
      if (!(bare && text == "none")) out->s = text;
      return true;
    case ValueKind::Name:
      if (text.empty()) return bad("is not a name");
      if (!(bare && text == "none")) out->s = canonical_name(text);
      return true;
    case ValueKind::Count: {
      if (find_word(s, text, &out->n)) return true;
      uint64_t n = 0;
      const bool number = parse_uint(text, ~uint64_t{0}, &n);
      if (number && n >= s.min && n <= s.max) {
        out->n = n;
        return true;
      }
      if (number && n > s.max) return bad("is more than " + std::to_string(s.max));
      std::vector<std::string> alternatives = word_names(s);
      alternatives.insert(alternatives.begin(), s.min == 1 ? std::string("a positive integer")
                                                           : "an integer from " + std::to_string(s.min) + " to " +
                                                                 std::to_string(s.max));
      return bad("is not " + or_list(alternatives));
    }
    case ValueKind::Netmask: {
      if (find_word(s, text, &out->n)) return true;
      uint32_t mask = 0;
      if (parse_netmask(text) && parse_ipv4(text, &mask)) {
        out->n = mask;
        return true;
      }
      std::vector<std::string> alternatives = word_names(s);
      alternatives.insert(alternatives.begin(), "an IPv4 netmask");
      return bad("is not " + or_list(alternatives));
    }
    case ValueKind::Choice: {
      if (!find_word(s, text, &out->n)) return bad("must be " + or_list(word_names(s)));
      if (!is_supported(s, text)) return bad("is not supported (" + or_list(supported_names(s)) + " only)");
      return true;
    }
    case ValueKind::Only:
      if (!is_supported(s, text)) return bad("is not supported (" + or_list(supported_names(s)) + " only)");
      return true;
    case ValueKind::Expiration: {
      uint32_t seconds = 0;
      if (text == "session cookie" || parse_tmsh_duration(text, &seconds)) {
        out->n = seconds;
        return true;
      }
      return bad("is not a duration (seconds, m:s, h:m:s or d:h:m:s; 0 = session cookie)");
    }
    case ValueKind::Destination:
      if (parse_destination(text, s.max != 0, out)) return true;
      return bad(s.max != 0 ? "is not *, A.B.C.D, *:*, *:PORT, A.B.C.D:* or A.B.C.D:PORT"
                            : "is not *:*, *:PORT, A.B.C.D:* or A.B.C.D:PORT");
  }
  return false;
}

}  // namespace irulesd::config_parser
