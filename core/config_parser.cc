// parse_config / load_config: turns the statement tree of config_tokenizer into the Config model. This
// file holds the object dispatch (which object type a statement is, and the one error an unsupported
// one gets), the error helpers, self IPs and rule loading; each object family has its own file
// (config_parser_pool.cc, _virtual.cc, _template.cc, _snat.cc, _data_group.cc).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/config.h"
#include "core/config_parser_impl.h"
#include "core/config_tokenizer.h"
#include "core/config_values.h"
#include "core/data_group.h"

namespace irulesd {
namespace config_parser {
namespace {

// The object types irulesd reads: their leading words, and whether a name follows them.
struct ObjectType {
  std::vector<const char*> words;
  ObjectKind kind;
  bool named = true;
  Family family = Family::Profile;   // template kinds only
};

const std::vector<ObjectType>& object_types() {
  static const std::vector<ObjectType> types = [] {
    std::vector<ObjectType> t = {
        {{"net", "self"}, ObjectKind::SelfIp},
        {{"ltm", "node"}, ObjectKind::Node},
        {{"ltm", "pool"}, ObjectKind::Pool},
        {{"ltm", "virtual"}, ObjectKind::Virtual},
        {{"ltm", "virtual-address"}, ObjectKind::VirtualAddress},
        {{"ltm", "rule"}, ObjectKind::Rule},
        {{"ltm", "data-group", "internal"}, ObjectKind::DataGroup},
        {{"ltm", "snatpool"}, ObjectKind::SnatPool},
        {{"ltm", "snat-translation"}, ObjectKind::SnatTranslation},
        {{"ltm", "default-node-monitor"}, ObjectKind::DefaultNodeMonitor, false},
        {{"sys", "file", "ifile"}, ObjectKind::SysFileIfile},
        {{"ltm", "ifile"}, ObjectKind::Ifile},
    };
    for (const TemplateType& tt : template_types()) {
      const char* family = tt.family == Family::Profile ? "profile" : tt.family == Family::Monitor ? "monitor"
                                                                                                   : "persistence";
      ObjectKind kind = tt.family == Family::Profile   ? ObjectKind::Profile
                        : tt.family == Family::Monitor ? ObjectKind::Monitor
                                                       : ObjectKind::Persistence;
      t.push_back(ObjectType{{"ltm", family, tt.type}, kind, true, tt.family});
    }
    return t;
  }();
  return types;
}

bool bare_is(const ConfigStatement& s, std::size_t i, const char* text) {
  return i < s.words.size() && s.words[i].kind == ConfigWord::Kind::Bare && s.words[i].text == text;
}

const ObjectType* match_type(const ConfigStatement& s) {
  for (const ObjectType& t : object_types()) {
    bool all = true;
    for (std::size_t i = 0; i < t.words.size() && all; ++i) all = bare_is(s, i, t.words[i]);
    if (all) return &t;
  }
  return nullptr;
}

// The types a family runs, for "not supported" messages: "http, tcp or one-connect".
std::string supported_types(Family family) {
  std::string out;
  std::vector<std::string> names;
  for (const TemplateType& t : template_types()) {
    if (t.family == family) names.push_back(t.type);
  }
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? (i + 1 == names.size() ? " and " : ", ") : "") + names[i];
  return out;
}

}  // namespace

Parser::Parser(const std::string& file, const std::string& rules_dir) {
  config_.file = file;
  config_.rules_dir = rules_dir;
}

ConfigLoadResult Parser::run(const std::vector<ConfigStatement>& statements) {
  for (const ConfigStatement& s : statements) parse_object(s);
  resolve_members();
  resolve_templates();
  resolve_monitor_rules();
  resolve_snat_pools();
  resolve_ifiles();
  resolve_virtuals();
  ConfigLoadResult result;
  if (errors_.empty()) finish_data_groups(config_);   // sorted and indexed once per config version
  if (!errors_.empty()) {
    // Resolution errors are found after all objects: order by line so the output reads like the file.
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    result.errors = std::move(errors_);
    return result;
  }
  result.config = std::make_shared<const Config>(std::move(config_));
  return result;
}

void Parser::error(int line, const std::string& object, const std::string& message) {
  errors_.push_back(ConfigError{config_.file, line, one_line(object + ": " + message)});
}

void Parser::unknown_property(PropertyReader& r, const ConfigWord& key, const std::string& object) {
  if (key.is_block()) {
    error(key.line, object, "unexpected { } block where a property name belongs");
  } else {
    error(key.line, object, "unknown property " + key.text);
  }
  r.skip_statement();
}

const ConfigWord* Parser::scalar_value(PropertyReader& r, const ConfigWord& key, const std::string& object) {
  const ConfigWord* v = r.next_value();
  if (!v) {
    error(key.line, object, key.text + " is missing its value");
    return nullptr;
  }
  if (v->is_block()) {
    error(v->line, object, key.text + " takes a value, not a { } block");
    return nullptr;
  }
  return v;
}

const ConfigWord* Parser::block_value(PropertyReader& r, const ConfigWord& key, const std::string& object) {
  const ConfigWord* v = r.next_value();
  if (!v) {
    error(key.line, object, key.text + " is missing its { } block");
    return nullptr;
  }
  if (v->kind != ConfigWord::Kind::Block) {
    error(v->line, object, key.text + " takes a { } block, not " + v->text);
    return nullptr;
  }
  return v;
}

void Parser::parse_object(const ConfigStatement& s) {
  const auto& w = s.words;
  if (w[0].is_block()) {
    error(w[0].line, "config", "unexpected { } block where an object type belongs");
    return;
  }
  const ObjectType* t = match_type(s);
  if (!t) {
    unsupported_object(s);
    return;
  }
  std::size_t type_words = t->words.size();
  std::string type;
  for (std::size_t i = 0; i < type_words; ++i) type += (i ? " " : "") + w[i].text;
  std::string name;
  int name_line = w[0].line;
  std::size_t body_at = type_words;
  if (t->named) {
    if (w.size() <= type_words || w[type_words].is_block()) {
      error(w[0].line, type, "missing object name");
      return;
    }
    name = canonical_name(w[type_words].value());
    name_line = w[type_words].line;
    body_at = type_words + 1;
  }
  std::string object = t->named ? type + " " + name : type;
  const ConfigWord* body = w.size() > body_at ? &w[body_at] : nullptr;
  if (!body || !body->is_block()) {
    error(body ? body->line : name_line, object, "missing { } body");
    return;
  }
  if (w.size() > body_at + 1) {
    error(w[body_at + 1].line, object, "unexpected " + w[body_at + 1].text + " after the { } body");
  }
  auto [first, inserted] = first_line_[t->kind].emplace(name, name_line);
  if (!inserted) {
    error(name_line, object,
          t->named ? "duplicate name (first defined at line " + std::to_string(first->second) + ")"
                   : "given twice (first at line " + std::to_string(first->second) + ")");
    return;
  }

  switch (t->kind) {
    case ObjectKind::SelfIp: parse_self(name, name_line, *body, object); break;
    case ObjectKind::Node: parse_node(name, name_line, *body, object); break;
    case ObjectKind::Pool: parse_pool(name, name_line, *body, object); break;
    case ObjectKind::Profile:
    case ObjectKind::Monitor:
    case ObjectKind::Persistence:
      parse_template(*find_template_type(t->family, t->words[2]), name, name_line, *body, object);
      break;
    case ObjectKind::Virtual: parse_virtual(name, name_line, *body, object); break;
    case ObjectKind::VirtualAddress: parse_virtual_address(name, name_line, *body, object); break;
    case ObjectKind::Rule:
      config_.rules.push_back(Rule{name, body->text, SourceLoc{config_.file, body->text_line}});
      break;
    case ObjectKind::DataGroup: parse_data_group(name, name_line, *body, object); break;
    case ObjectKind::SnatPool: parse_snatpool(name, name_line, *body, object); break;
    case ObjectKind::SnatTranslation: parse_snat_translation(name, name_line, *body, object); break;
    case ObjectKind::DefaultNodeMonitor: parse_default_node_monitor(name_line, *body, object); break;
    case ObjectKind::SysFileIfile: parse_sys_file_ifile(name, name_line, *body, object); break;
    case ObjectKind::Ifile: parse_ifile(name, name_line, *body, object); break;
  }
}

// A statement that is no object irulesd reads: one error naming it, nothing inside it read. Objects of
// BIG-IP's modules are "not supported"; anything else is an unknown (probably misspelt) type.
void Parser::unsupported_object(const ConfigStatement& s) {
  const auto& w = s.words;
  // The header: the words before the body. Its last word is the name when it is a path (/Common/x).
  const bool ltm = bare_is(s, 0, "ltm");
  const std::string second = w.size() > 1 && !w[1].is_block() ? w[1].text : std::string();
  const std::string third = w.size() > 2 && !w[2].is_block() ? w[2].text : std::string();
  // An ltm object's name follows its type (and the sub-type of the typed families): shown canonical,
  // as every other object name in messages. Other modules' layouts vary: shown as written.
  const bool typed = second == "profile" || second == "monitor" || second == "persistence" ||
                     second == "data-group" || second == "auth";
  const std::size_t name_at = ltm && is_bigip_ltm_object_type(second) ? (typed ? 3 : 2) : w.size();
  std::string header;
  for (std::size_t i = 0; i < w.size() && !w[i].is_block(); ++i) {
    header += (header.empty() ? "" : " ") + (i == name_at ? canonical_name(w[i].value()) : w[i].text);
  }
  // Remember the name of an unsupported profile / monitor / persistence object: a reference to it has
  // had its error already.
  if (ltm && w.size() > 3 && !w[3].is_block()) {
    std::optional<Family> family;
    if (second == "profile") family = Family::Profile;
    if (second == "monitor") family = Family::Monitor;
    if (second == "persistence") family = Family::Persistence;
    if (family) unsupported_names_[*family].insert(canonical_name(w[3].value()));
  }

  if (ltm && second == "data-group" && third == "external") {
    error(w[0].line, header, "external data groups are not supported (put the records inline: ltm data-group internal)");
  } else if (ltm && second == "data-group") {
    error(w[0].line, header, "object type is not supported (data groups: ltm data-group internal)");
  } else if (ltm && second == "profile") {
    error(w[0].line, header, "object type is not supported (profiles: " + supported_types(Family::Profile) + ")");
  } else if (ltm && second == "monitor") {
    error(w[0].line, header, "object type is not supported (monitors: " + supported_types(Family::Monitor) + ")");
  } else if (ltm && second == "persistence") {
    error(w[0].line, header,
          "object type is not supported (persistence: " + supported_types(Family::Persistence) + ")");
  } else if (ltm && !is_bigip_ltm_object_type(second)) {
    error(w[0].line, header, "unknown object type ltm " + second);
  } else if (is_bigip_module(w[0].text)) {
    error(w[0].line, header, "object type is not supported");
  } else {
    error(w[0].line, header, "unknown object type " + w[0].text);
  }
}

void Parser::parse_self(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  SelfIp self{name, "", 32, "", SourceLoc{config_.file, line}};
  bool has_address = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->text == "address" && !key->is_block()) {
      has_address = true;  // a malformed address is its own error, not also a missing one
      const ConfigWord* v = scalar_value(r, *key, object);
      uint32_t ip = 0;
      if (!v) continue;
      if (!parse_cidr(v->value(), &self.address, &self.prefix_len, &ip)) {
        error(v->line, object, "address " + v->text + " is not an IPv4 address with a prefix (A.B.C.D/LEN)");
      }
    } else if (key->text == "vlan" && !key->is_block()) {
      if (const ConfigWord* v = scalar_value(r, *key, object)) self.vlan = canonical_name(v->value());
    } else if (const Setting* st = lookup({}, *key)) {
      Value value;
      read_setting(r, *key, *st, object, &value);
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_address) error(line, object, "missing address");
  config_.self_ips.push_back(std::move(self));
}

bool Parser::ensure_rule(const std::string& rule, int line, const std::string& object) {
  if (std::any_of(config_.rules.begin(), config_.rules.end(), [&](const Rule& r) {
        return r.name == rule && r.loc.file == config_.file;
      })) {
    return true;   // inline
  }
  std::string path = (std::filesystem::path(config_.rules_dir) / (short_name(rule) + ".tcl")).string();
  auto seen = file_rule_errno_.find(rule);
  if (seen == file_rule_errno_.end()) {
    std::string text;
    int err = read_file(path, &text);
    seen = file_rule_errno_.emplace(rule, err).first;
    if (err == 0) config_.rules.push_back(Rule{rule, std::move(text), SourceLoc{path, 1}});
  }
  if (seen->second != 0) {
    error(line, object, "rule " + rule + " is not defined inline and " + path +
                            " cannot be read: " + std::strerror(seen->second));
    return false;
  }
  return true;
}

}  // namespace config_parser

ConfigLoadResult parse_config(const std::string& text, const std::string& file_name, const std::string& rules_dir) {
  ConfigTokens tokens = tokenize_config(text, file_name);
  if (tokens.error) return ConfigLoadResult{nullptr, {*tokens.error}};
  return config_parser::Parser(file_name, rules_dir.empty() ? default_rules_dir(file_name) : rules_dir)
      .run(tokens.statements);
}

ConfigLoadResult load_config(const std::string& path, const std::string& rules_dir) {
  std::string text;
  if (int err = read_file(path, &text); err != 0) {
    return ConfigLoadResult{nullptr, {ConfigError{path, 0, std::string("cannot read config: ") + std::strerror(err)}}};
  }
  return parse_config(text, path, rules_dir);
}

}  // namespace irulesd
