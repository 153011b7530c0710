// parse_config / load_config: turns the statement tree of config_tokenizer into the Config model.
// Every object is read in one pass (collecting every error it can), then cross-references (member ->
// node, virtual -> pool / profile / rule, profile -> defaults-from) are resolved once everything is
// known, because bigip.conf may name an object before defining it.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/config.h"
#include "core/config_tokenizer.h"
#include "core/data_group.h"
#include "core/config_values.h"

namespace irulesd {
namespace {

const std::string kHttpProfile = "/Common/http";
const std::string kTcpProfile = "/Common/tcp";
const std::string kWebsocketProfile = "/Common/websocket";

// ---- walking a property block ------------------------------------------------------------------------

// Walks a block as keys and values. tmsh puts several properties on one line (`{ address A vlan V }`)
// or one per line, so keys run across statements, but a value never crosses a newline: there tmsh
// ends the statement, and a key left without its value is an error, not a grab of the next line.
class PropertyReader {
 public:
  explicit PropertyReader(const ConfigWord& block) : statements_(block.statements) {}

  const ConfigWord* next_key() {
    while (statement_ < statements_.size()) {
      const auto& words = statements_[statement_].words;
      if (word_ < words.size()) return &words[word_++];
      ++statement_;
      word_ = 0;
    }
    return nullptr;
  }

  const ConfigWord* next_value() {
    if (statement_ >= statements_.size()) return nullptr;
    const auto& words = statements_[statement_].words;
    return word_ < words.size() ? &words[word_++] : nullptr;
  }

  const ConfigWord* peek_value() const {
    if (statement_ >= statements_.size()) return nullptr;
    const auto& words = statements_[statement_].words;
    return word_ < words.size() ? &words[word_] : nullptr;
  }

  // After an unknown key its arity is unknown: drop the rest of its statement.
  void skip_statement() {
    ++statement_;
    word_ = 0;
  }

 private:
  const std::vector<ConfigStatement>& statements_;
  std::size_t statement_ = 0;
  std::size_t word_ = 0;
};

// ---- the parser ------------------------------------------------------------------------------------------

enum class ObjectKind { SelfIp, Node, Pool, Profile, Virtual, Rule, DataGroup };

// The custom profile types irulesd reads, each with its built-in parent and its numeric settings
// (BIG-IP's defaults). A custom profile inherits every setting it does not name from defaults-from.
struct ProfileSetting {
  const char* key;
  uint64_t default_value;
  uint64_t max;
  bool indefinite_allowed;   // "indefinite" is accepted and stored as 0
};
struct ProfileType {
  const char* type;      // "http"
  const char* builtin;   // "/Common/http"
  std::vector<ProfileSetting> settings;
};
const std::vector<ProfileType>& profile_types() {
  static const std::vector<ProfileType> types = {
      {"http", "/Common/http", {{"max-header-size", 32768, 0x7fffffff, false}, {"max-header-count", 64, 0xffff, false}}},
      {"tcp", "/Common/tcp", {{"idle-timeout", 300, 0xfffffffe, true}}},
  };
  return types;
}
const ProfileType* find_profile_type(const std::string& type) {
  for (const ProfileType& t : profile_types()) {
    if (type == t.type) return &t;
  }
  return nullptr;
}

// A custom profile before its defaults-from chain is resolved.
struct PendingProfile {
  const ProfileType* type = nullptr;
  std::string name;
  int line = 0;
  std::string parent;
  int parent_line = 0;
  std::map<std::string, uint64_t> own;        // settings the profile names itself
  std::map<std::string, uint64_t> resolved;   // every setting, after defaults-from
  enum class State { Unresolved, Resolving, Done } state = State::Unresolved;
};

// What a virtual names, with the line of each reference for errors.
struct VirtualRefs {
  int pool_line = 0;
  std::vector<int> profile_lines;
  std::vector<int> rule_lines;
};

class Parser {
 public:
  Parser(const std::string& file, const std::string& rules_dir) {
    config_.file = file;
    config_.rules_dir = rules_dir;
  }

  ConfigLoadResult run(const std::vector<ConfigStatement>& statements) {
    for (const ConfigStatement& s : statements) parse_object(s);
    resolve_members();
    resolve_profiles();
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

 private:
  void error(int line, const std::string& object, const std::string& message) {
    errors_.push_back(ConfigError{config_.file, line, object + ": " + message});
  }

  void unknown_property(PropertyReader& r, const ConfigWord& key, const std::string& object) {
    if (key.is_block()) {
      error(key.line, object, "unexpected { } block where a property name belongs");
    } else {
      error(key.line, object, "unknown property " + key.text);
    }
    r.skip_statement();
  }

  // Properties that are real BIG-IP features irulesd does not run: refusing them beats pretending.
  void unsupported_property(PropertyReader& r, const ConfigWord& key, const std::string& object) {
    error(key.line, object, key.text + " is not supported yet");
    r.skip_statement();
  }

  const ConfigWord* scalar_value(PropertyReader& r, const ConfigWord& key, const std::string& object) {
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

  const ConfigWord* block_value(PropertyReader& r, const ConfigWord& key, const std::string& object) {
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

  // `enabled` is the only value irulesd implements for translate-address / translate-port.
  void enabled_only(PropertyReader& r, const ConfigWord& key, const std::string& object) {
    const ConfigWord* v = scalar_value(r, key, object);
    if (!v || v->value() == "enabled") return;
    if (v->value() == "disabled") {
      error(v->line, object, key.text + " disabled is not supported");
    } else {
      error(v->line, object, key.text + " must be enabled or disabled, not " + v->text);
    }
  }

  static bool bare_is(const ConfigStatement& s, std::size_t i, const char* text) {
    return i < s.words.size() && s.words[i].kind == ConfigWord::Kind::Bare && s.words[i].text == text;
  }

  void parse_object(const ConfigStatement& s) {
    const auto& w = s.words;
    std::size_t type_words = 2;
    ObjectKind kind;
    if (bare_is(s, 0, "net") && bare_is(s, 1, "self")) {
      kind = ObjectKind::SelfIp;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "node")) {
      kind = ObjectKind::Node;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "pool")) {
      kind = ObjectKind::Pool;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "virtual")) {
      kind = ObjectKind::Virtual;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "rule")) {
      kind = ObjectKind::Rule;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "profile") && s.words.size() > 2 &&
               find_profile_type(s.words[2].text)) {
      kind = ObjectKind::Profile;
      type_words = 3;
    } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "data-group") && bare_is(s, 2, "internal")) {
      kind = ObjectKind::DataGroup;
      type_words = 3;
    } else {
      std::string type = w[0].text;
      std::size_t name_at = 1;
      if ((bare_is(s, 0, "ltm") || bare_is(s, 0, "net") || bare_is(s, 0, "sys")) && w.size() > 1 &&
          !w[1].is_block()) {
        type += " " + w[1].text;
        name_at = 2;
        // These types carry a sub-type before the name: `ltm monitor http NAME`.
        bool typed = bare_is(s, 1, "profile") || bare_is(s, 1, "monitor") || bare_is(s, 1, "data-group") ||
                     bare_is(s, 1, "persistence");
        if (typed && w.size() > 2 && !w[2].is_block()) {
          type += " " + w[2].text;
          name_at = 3;
        }
      }
      std::string what = name_at < w.size() && !w[name_at].is_block() ? " " + w[name_at].text : "";
      if (w[0].is_block()) {
        error(w[0].line, "config", "unexpected { } block where an object type belongs");
      } else if (bare_is(s, 0, "ltm") && bare_is(s, 1, "data-group") && bare_is(s, 2, "external")) {
        error(w[0].line, "ltm data-group external" + (name_at < w.size() && !w[name_at].is_block()
                                                          ? " " + canonical_name(w[name_at].value()) : std::string()),
              "external data groups are not supported (put the records inline: ltm data-group internal)");
      } else if (bare_is(s, 1, "profile")) {
        error(w[0].line, type + what, "profile type is not supported (custom profiles: ltm profile http and tcp only)");
      } else if (bare_is(s, 0, "ltm") && (bare_is(s, 1, "monitor") || bare_is(s, 1, "data-group") ||
                                          bare_is(s, 1, "persistence"))) {
        error(w[0].line, type + what, "object type is not supported yet");
      } else {
        error(w[0].line, type + what, "unknown object type " + type);
      }
      return;
    }

    std::string type;
    for (std::size_t i = 0; i < type_words; ++i) type += (i ? " " : "") + w[i].text;
    if (w.size() <= type_words || w[type_words].is_block()) {
      error(w[0].line, type, "missing object name");
      return;
    }
    const ConfigWord& name_word = w[type_words];
    std::string name = canonical_name(name_word.value());
    std::string object = type + " " + name;
    const ConfigWord* body = w.size() > type_words + 1 ? &w[type_words + 1] : nullptr;
    if (!body || !body->is_block()) {
      error(body ? body->line : name_word.line, object, "missing { } body");
      return;
    }
    if (w.size() > type_words + 2) {
      error(w[type_words + 2].line, object, "unexpected " + w[type_words + 2].text + " after the { } body");
    }
    auto [first, inserted] = first_line_[kind].emplace(name, name_word.line);
    if (!inserted) {
      error(name_word.line, object, "duplicate name (first defined at line " + std::to_string(first->second) + ")");
      return;
    }

    switch (kind) {
      case ObjectKind::SelfIp: parse_self(name, name_word.line, *body, object); break;
      case ObjectKind::Node: parse_node(name, name_word.line, *body, object); break;
      case ObjectKind::Pool: parse_pool(name, name_word.line, *body, object); break;
      case ObjectKind::Profile:
        parse_profile(*find_profile_type(w[2].text), name, name_word.line, *body, object);
        break;
      case ObjectKind::Virtual: parse_virtual(name, name_word.line, *body, object); break;
      case ObjectKind::Rule:
        config_.rules.push_back(Rule{name, body->text, SourceLoc{config_.file, body->text_line}});
        break;
      case ObjectKind::DataGroup: parse_data_group(name, name_word.line, *body, object); break;
    }
  }

  void parse_self(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
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
      } else {
        unknown_property(r, *key, object);
      }
    }
    if (!has_address) error(line, object, "missing address");
    config_.self_ips.push_back(std::move(self));
  }

  // What a node and a pool member both say: `address A.B.C.D`, `description "…"`, and `monitor`
  // (refused: not run yet). Returns whether an address key was present.
  bool parse_address_block(const ConfigWord& body, const std::string& object, std::string* address) {
    bool has_address = false;
    PropertyReader r(body);
    while (const ConfigWord* key = r.next_key()) {
      if (key->text == "address" && !key->is_block()) {
        has_address = true;
        const ConfigWord* v = scalar_value(r, *key, object);
        if (!v) continue;
        if (!parse_ipv4(v->value(), nullptr)) {
          error(v->line, object, "address " + v->text + " is not an IPv4 address (A.B.C.D)");
        }
        *address = v->value();
      } else if (key->text == "description" && !key->is_block()) {
        scalar_value(r, *key, object);
      } else if (key->text == "monitor" && !key->is_block()) {
        unsupported_property(r, *key, object);
      } else {
        unknown_property(r, *key, object);
      }
    }
    return has_address;
  }

  void parse_node(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
    Node node{name, "", SourceLoc{config_.file, line}};
    if (!parse_address_block(body, object, &node.address)) error(line, object, "missing address");
    config_.nodes.push_back(std::move(node));
  }

  void parse_pool(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
    Pool pool;
    pool.name = name;
    pool.loc = SourceLoc{config_.file, line};
    std::size_t pool_index = config_.pools.size();
    PropertyReader r(body);
    while (const ConfigWord* key = r.next_key()) {
      if (key->text == "load-balancing-mode" && !key->is_block()) {
        const ConfigWord* v = scalar_value(r, *key, object);
        if (v && v->value() != "round-robin") {
          error(v->line, object, "load-balancing-mode " + v->text + " is not supported (round-robin only)");
        }
      } else if (key->text == "members" && !key->is_block()) {
        if (const ConfigWord* v = block_value(r, *key, object)) parse_members(pool, pool_index, *v, object);
      } else if (key->text == "description" && !key->is_block()) {
        scalar_value(r, *key, object);
      } else if (key->text == "monitor" && !key->is_block()) {
        // Monitors are a known pool property that irulesd does not run yet: a config relying on one
        // must not start as if its members were being health-checked.
        unsupported_property(r, *key, object);
      } else {
        unknown_property(r, *key, object);
      }
    }
    config_.pools.push_back(std::move(pool));
  }

  // `members { NODE:PORT { address A.B.C.D } ... }`; the address may come from `ltm node NODE`.
  void parse_members(Pool& pool, std::size_t pool_index, const ConfigWord& block, const std::string& object) {
    PropertyReader r(block);
    while (const ConfigWord* name_word = r.next_key()) {
      if (name_word->is_block()) {
        error(name_word->line, object, "unexpected { } block where a member name belongs");
        continue;
      }
      const ConfigWord* body = r.next_value();
      if (!body || body->kind != ConfigWord::Kind::Block) {
        error(name_word->line, object, "member " + name_word->text + " is missing its { } body");
        if (body) r.skip_statement();
        continue;
      }
      std::string raw = name_word->value();
      std::size_t colon = raw.rfind(':');
      PoolMember member;
      member.loc = SourceLoc{config_.file, name_word->line};
      if (colon == std::string::npos || colon == 0 || raw[colon - 1] == '/' ||
          !parse_port(std::string_view(raw).substr(colon + 1), &member.port)) {
        error(name_word->line, object, "member " + name_word->text + " is not NODE:PORT with a port 1-65535");
        continue;
      }
      member.node = canonical_name(raw.substr(0, colon));
      member.name = member.node + ":" + std::to_string(member.port);
      std::string member_object = object + " member " + member.name;
      bool duplicate = std::any_of(pool.members.begin(), pool.members.end(),
                                   [&](const PoolMember& m) { return m.name == member.name; });
      if (duplicate) error(name_word->line, object, "duplicate member " + member.name);

      parse_address_block(*body, member_object, &member.address);
      if (!duplicate) {
        member_refs_.push_back({pool_index, pool.members.size()});
        pool.members.push_back(std::move(member));
      }
    }
  }

  void parse_profile(const ProfileType& type, const std::string& name, int line, const ConfigWord& body,
                     const std::string& object) {
    if (name == kHttpProfile || name == kTcpProfile || name == kWebsocketProfile) {
      error(line, object, "a built-in profile cannot be redefined");
      return;
    }
    PendingProfile pending;
    pending.type = &type;
    pending.name = name;
    pending.line = line;
    PropertyReader r(body);
    while (const ConfigWord* key = r.next_key()) {
      const ProfileSetting* setting = nullptr;
      for (const ProfileSetting& st : type.settings) {
        if (!key->is_block() && key->text == st.key) setting = &st;
      }
      if (key->text == "defaults-from" && !key->is_block()) {
        if (const ConfigWord* v = scalar_value(r, *key, object)) {
          pending.parent = canonical_name(v->value());
          pending.parent_line = v->line;
        }
      } else if (setting) {
        const ConfigWord* v = scalar_value(r, *key, object);
        uint64_t n = 0;
        if (!v) continue;
        if (setting->indefinite_allowed && v->value() == "indefinite") {
          pending.own[setting->key] = 0;
        } else if (!parse_uint(v->value(), setting->max, &n) || n == 0) {
          error(v->line, object, key->text + " " + v->text + " is not a positive integer" +
                                     (setting->indefinite_allowed ? " or indefinite" : ""));
        } else {
          pending.own[setting->key] = n;
        }
      } else {
        unknown_property(r, *key, object);
      }
    }
    if (pending.parent.empty()) {
      error(line, object, std::string("missing defaults-from (a custom ") + type.type + " profile derives from " +
                              type.builtin + ")");
      pending.parent = type.builtin;  // keeps resolution going without a second error
    }
    profile_index_[name] = pending_profiles_.size();
    pending_profiles_.push_back(std::move(pending));
  }

  // The text of a data group key or value. tmsh writes `"` and `\` inside quotes as `\"` and `\\`;
  // every other backslash is data (a regex's `\.` stays as written).
  static std::string tmsh_text(const ConfigWord& word) {
    std::string raw = word.value();
    if (word.kind != ConfigWord::Kind::Quoted) return raw;
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
      out.push_back(raw[i]);
    }
    return out;
  }

  // `ltm data-group internal NAME { records { KEY { data VALUE } ... } type string|ip|integer }`.
  // tmsh writes records before type, so the records are read once the whole body is known.
  void parse_data_group(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
    DataGroup group;
    group.name = name;
    group.loc = SourceLoc{config_.file, line};
    const ConfigWord* records = nullptr;
    bool has_type = false;
    bool type_ok = false;
    PropertyReader r(body);
    while (const ConfigWord* key = r.next_key()) {
      std::string k = key->is_block() ? std::string() : key->text;
      if (k == "type") {
        has_type = true;
        const ConfigWord* v = scalar_value(r, *key, object);
        if (!v) continue;
        if (auto type = data_group_type_from_name(v->value())) {
          group.type = *type;
          type_ok = true;
        } else {
          error(v->line, object, "type " + v->text + " is not supported (string, ip or integer)");
        }
      } else if (k == "records") {
        if (const ConfigWord* v = block_value(r, *key, object)) {
          if (records) error(key->line, object, "records given twice");
          records = v;
        }
      } else if (k == "description") {
        scalar_value(r, *key, object);
      } else {
        unknown_property(r, *key, object);
      }
    }
    if (!has_type) error(line, object, "missing type (string, ip or integer)");
    if (records && type_ok) parse_records(group, *records, object);
    config_.data_groups.push_back(std::move(group));
  }

  // `records { KEY { } KEY2 { data VALUE } }`: every key checked and made canonical for the group's
  // type; two keys that mean the same record (10.0.0.1 and 10.0.0.1/32) are a duplicate.
  void parse_records(DataGroup& group, const ConfigWord& block, const std::string& object) {
    std::map<std::string, int> first_line;   // canonical key -> line
    PropertyReader r(block);
    while (const ConfigWord* key_word = r.next_key()) {
      if (key_word->is_block()) {
        error(key_word->line, object, "unexpected { } block where a record key belongs");
        continue;
      }
      const ConfigWord* record_body = r.next_value();
      if (!record_body || record_body->kind != ConfigWord::Kind::Block) {
        error(key_word->line, object, "record " + key_word->text + " is missing its { } body");
        if (record_body) r.skip_statement();
        continue;
      }
      DataGroupRecord record;
      std::string problem = canonical_data_group_key(group.type, tmsh_text(*key_word), &record.name);
      if (!problem.empty()) error(key_word->line, object, "record " + key_word->text + " " + problem);
      PropertyReader fields(*record_body);
      while (const ConfigWord* field = fields.next_key()) {
        if (field->is_block() || field->text != "data") {
          error(field->line, object, "record " + key_word->text + ": " +
                                         (field->is_block() ? std::string("unexpected { } block")
                                                            : "unknown property " + field->text));
          fields.skip_statement();
          continue;
        }
        const ConfigWord* v = fields.next_value();
        if (!v) {
          error(field->line, object, "record " + key_word->text + ": data is missing its value");
        } else if (v->is_block()) {
          error(v->line, object, "record " + key_word->text + ": data takes a value, not a { } block");
        } else {
          record.data = tmsh_text(*v);
        }
      }
      if (!problem.empty()) continue;
      auto [first, inserted] = first_line.emplace(record.name, key_word->line);
      if (!inserted) {
        error(key_word->line, object, "duplicate record " + key_word->text + " (first defined at line " +
                                          std::to_string(first->second) + ")");
        continue;
      }
      group.records.push_back(std::move(record));
    }
  }

  void parse_virtual(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
    VirtualServer vs;
    vs.name = name;
    vs.loc = SourceLoc{config_.file, line};
    VirtualRefs refs;
    bool has_destination = false;
    PropertyReader r(body);
    while (const ConfigWord* key = r.next_key()) {
      std::string k = key->is_block() ? std::string() : key->text;
      const ConfigWord* v = nullptr;
      if (k == "destination") {
        has_destination = true;
        if (!(v = scalar_value(r, *key, object))) continue;
        std::string dest = v->value();
        if (!dest.empty() && dest.front() == '/') dest = short_name(dest);  // drop the partition
        std::size_t colon = dest.rfind(':');
        if (colon == std::string::npos || !parse_ipv4(std::string_view(dest).substr(0, colon), nullptr) ||
            !parse_port(std::string_view(dest).substr(colon + 1), &vs.dest_port)) {
          error(v->line, object, "destination " + v->text + " is not an IPv4 A.B.C.D:PORT with a port 1-65535");
        } else {
          vs.dest_address = dest.substr(0, colon);
        }
      } else if (k == "ip-protocol") {
        if ((v = scalar_value(r, *key, object)) && v->value() != "tcp") {
          error(v->line, object, "ip-protocol " + v->text + " is not supported (tcp only)");
        }
      } else if (k == "mask") {
        if (!(v = scalar_value(r, *key, object))) continue;
        if (!parse_netmask(v->value())) {
          error(v->line, object, "mask " + v->text + " is not an IPv4 netmask");
        } else {
          vs.mask = v->value();
        }
      } else if (k == "source") {
        if (!(v = scalar_value(r, *key, object))) continue;
        uint32_t ip = 0;
        if (!parse_cidr(v->value(), &vs.source_address, &vs.source_prefix_len, &ip)) {
          error(v->line, object, "source " + v->text + " is not an IPv4 network (A.B.C.D/LEN)");
        } else if ((ip & ~prefix_mask(vs.source_prefix_len)) != 0) {
          error(v->line, object, "source " + v->text + " has address bits set beyond its prefix length");
        }
      } else if (k == "pool") {
        if (!(v = scalar_value(r, *key, object))) continue;
        vs.pool = canonical_name(v->value());
        refs.pool_line = v->line;
      } else if (k == "profiles") {
        if ((v = block_value(r, *key, object))) parse_profile_list(vs, refs, *v, object);
      } else if (k == "rules") {
        if (!(v = block_value(r, *key, object))) continue;
        PropertyReader list(*v);
        while (const ConfigWord* rule = list.next_key()) {
          if (rule->is_block()) {
            error(rule->line, object, "unexpected { } block in rules (expected rule names)");
            continue;
          }
          std::string rule_name = canonical_name(rule->value());
          if (std::find(vs.rules.begin(), vs.rules.end(), rule_name) != vs.rules.end()) {
            error(rule->line, object, "rule " + rule_name + " is attached twice");
            continue;
          }
          vs.rules.push_back(rule_name);
          refs.rule_lines.push_back(rule->line);
        }
      } else if (k == "source-address-translation") {
        if ((v = block_value(r, *key, object))) parse_snat(vs, *v, object);
      } else if (k == "translate-address" || k == "translate-port") {
        enabled_only(r, *key, object);
      } else if (k == "description") {
        scalar_value(r, *key, object);
      } else if (k == "persist" || k == "fallback-persistence") {
        unsupported_property(r, *key, object);
      } else {
        unknown_property(r, *key, object);
      }
    }
    if (!has_destination) error(line, object, "missing destination");
    virtual_refs_.push_back(std::move(refs));
    config_.virtuals.push_back(std::move(vs));
  }

  // `profiles { /Common/http { } /Common/tcp { context clientside } }`: names, each with an optional
  // block that may only say which side the profile applies to.
  void parse_profile_list(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object) {
    PropertyReader r(block);
    while (const ConfigWord* name_word = r.next_key()) {
      if (name_word->is_block()) {
        error(name_word->line, object, "unexpected { } block in profiles (expected a profile name)");
        continue;
      }
      std::string profile = canonical_name(name_word->value());
      const ConfigWord* options = r.peek_value();
      if (options && options->kind == ConfigWord::Kind::Block) {
        r.next_value();
        PropertyReader opts(*options);
        while (const ConfigWord* key = opts.next_key()) {
          if (key->text != "context" || key->is_block()) {
            unknown_property(opts, *key, object + " profile " + profile);
            continue;
          }
          const ConfigWord* v = scalar_value(opts, *key, object + " profile " + profile);
          if (v && v->value() != "all" && v->value() != "clientside" && v->value() != "serverside") {
            error(v->line, object + " profile " + profile,
                  "context " + v->text + " is not all, clientside or serverside");
          }
        }
      }
      if (std::find(vs.profiles.begin(), vs.profiles.end(), profile) != vs.profiles.end()) {
        error(name_word->line, object, "profile " + profile + " is attached twice");
        continue;
      }
      vs.profiles.push_back(profile);
      refs.profile_lines.push_back(name_word->line);
    }
  }

  void parse_snat(VirtualServer& vs, const ConfigWord& block, const std::string& object) {
    PropertyReader r(block);
    while (const ConfigWord* key = r.next_key()) {
      if (key->text != "type" || key->is_block()) {
        unknown_property(r, *key, object + " source-address-translation");
        continue;
      }
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      if (v->value() == "automap") {
        vs.snat = SnatType::Automap;
      } else if (v->value() == "none") {
        vs.snat = SnatType::None;
      } else {
        error(v->line, object, "source-address-translation type " + v->text +
                                   " is not supported (automap or none)");
      }
    }
  }

  // ---- resolution ------------------------------------------------------------------------------------

  void resolve_members() {
    std::map<std::string, const Node*> nodes;
    for (const Node& n : config_.nodes) nodes.emplace(n.name, &n);
    for (auto [pool_index, member_index] : member_refs_) {
      const Pool& pool = config_.pools[pool_index];
      PoolMember& m = config_.pools[pool_index].members[member_index];
      std::string object = "ltm pool " + pool.name;
      auto it = nodes.find(m.node);
      if (it == nodes.end()) {
        if (m.address.empty()) {
          error(m.loc.line, object, "member " + m.name + " has no address and there is no ltm node " + m.node);
        }
      } else if (m.address.empty()) {
        m.address = it->second->address;
      } else if (m.address != it->second->address) {
        error(m.loc.line, object, "member " + m.name + " address " + m.address + " differs from ltm node " +
                                      m.node + " address " + it->second->address);
      }
    }
  }

  // Fills a custom profile's settings from its defaults-from chain (which may name profiles defined
  // later); returns false when the chain is broken (already reported).
  bool resolve_profile(std::size_t index) {
    PendingProfile& pending = pending_profiles_[index];
    std::string object = std::string("ltm profile ") + pending.type->type + " " + pending.name;
    if (pending.state == PendingProfile::State::Done) return true;
    if (pending.state == PendingProfile::State::Resolving) {
      error(pending.parent_line, object, "defaults-from forms a cycle through " + pending.parent);
      return false;
    }
    pending.state = PendingProfile::State::Resolving;
    bool ok = true;
    for (const ProfileSetting& st : pending.type->settings) pending.resolved[st.key] = st.default_value;
    if (pending.parent != pending.type->builtin) {
      auto it = profile_index_.find(pending.parent);
      if (it != profile_index_.end() && pending_profiles_[it->second].type == pending.type) {
        ok = resolve_profile(it->second);
        pending.resolved = pending_profiles_[it->second].resolved;
      } else if (it != profile_index_.end() || pending.parent == kHttpProfile || pending.parent == kTcpProfile ||
                 pending.parent == kWebsocketProfile) {
        error(pending.parent_line, object,
              "defaults-from " + pending.parent + " is not a" + (pending.type->type[0] == 'h' ? "n " : " ") +
                  pending.type->type + " profile");
        ok = false;
      } else {
        error(pending.parent_line, object, "defaults-from " + pending.parent + ": profile does not exist");
        ok = false;
      }
    }
    for (const auto& [key, value] : pending.own) pending.resolved[key] = value;
    pending.state = PendingProfile::State::Done;
    return ok;
  }

  // Resolves every custom profile and lists it in the model, in file order per type.
  void resolve_profiles() {
    for (std::size_t i = 0; i < pending_profiles_.size(); ++i) resolve_profile(i);
    for (const PendingProfile& p : pending_profiles_) {
      SourceLoc loc{config_.file, p.line};
      if (p.type == find_profile_type("http")) {
        config_.http_profiles.push_back(HttpProfile{p.name, p.resolved.at("max-header-size"),
                                                    p.resolved.at("max-header-count"), loc});
      } else {
        config_.tcp_profiles.push_back(
            TcpProfile{p.name, static_cast<uint32_t>(p.resolved.at("idle-timeout")), loc});
      }
    }
  }

  const HttpProfile* custom_http_profile(const std::string& name) const {
    for (const HttpProfile& p : config_.http_profiles) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

  const TcpProfile* custom_tcp_profile(const std::string& name) const {
    for (const TcpProfile& p : config_.tcp_profiles) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

  void resolve_virtuals() {
    std::map<std::string, std::size_t> inline_rules;
    for (std::size_t i = 0; i < config_.rules.size(); ++i) inline_rules.emplace(config_.rules[i].name, i);
    std::map<std::string, int> file_rule_errno;  // rules already read from the rules folder: 0 or errno
    std::map<std::string, std::string> destinations;  // "addr:port source/len" -> virtual name

    for (std::size_t vi = 0; vi < config_.virtuals.size(); ++vi) {
      VirtualServer& vs = config_.virtuals[vi];
      const VirtualRefs& refs = virtual_refs_[vi];
      std::string object = "ltm virtual " + vs.name;

      if (!vs.pool.empty() && !config_.find_pool(vs.pool)) {
        error(refs.pool_line, object, "pool " + vs.pool + " does not exist");
      }

      int http_count = 0;
      int tcp_count = 0;
      for (std::size_t pi = 0; pi < vs.profiles.size(); ++pi) {
        const std::string& p = vs.profiles[pi];
        const HttpProfile* custom_http = custom_http_profile(p);
        const TcpProfile* custom_tcp = custom_tcp_profile(p);
        if (p == kHttpProfile || custom_http) {
          vs.has_http_profile = true;
          vs.http = custom_http ? *custom_http : HttpProfile{};
          if (++http_count == 2) error(refs.profile_lines[pi], object, "more than one http profile is attached");
        } else if (p == kTcpProfile || custom_tcp) {
          vs.tcp = custom_tcp ? *custom_tcp : TcpProfile{};
          if (++tcp_count == 2) error(refs.profile_lines[pi], object, "more than one tcp profile is attached");
        } else if (p == kWebsocketProfile) {
          vs.has_websocket_profile = true;
        } else {
          error(refs.profile_lines[pi], object, "profile " + p + " does not exist");
        }
      }
      if (vs.has_websocket_profile && !vs.has_http_profile) {
        auto it = std::find(vs.profiles.begin(), vs.profiles.end(), kWebsocketProfile);
        error(refs.profile_lines[it - vs.profiles.begin()], object,
              "profile /Common/websocket requires an http profile on the same virtual");
      }

      for (std::size_t ri = 0; ri < vs.rules.size(); ++ri) {
        const std::string& rule = vs.rules[ri];
        if (inline_rules.count(rule)) continue;
        std::string path = (std::filesystem::path(config_.rules_dir) / (short_name(rule) + ".tcl")).string();
        auto seen = file_rule_errno.find(rule);
        if (seen == file_rule_errno.end()) {
          std::string text;
          int err = read_file(path, &text);
          seen = file_rule_errno.emplace(rule, err).first;
          if (err == 0) config_.rules.push_back(Rule{rule, std::move(text), SourceLoc{path, 1}});
        }
        if (seen->second != 0) {
          error(refs.rule_lines[ri], object, "rule " + rule + " is not defined inline and " + path +
                                                 " cannot be read: " + std::strerror(seen->second));
        }
      }

      if (!vs.dest_address.empty()) {
        std::string key = vs.dest_address + ":" + std::to_string(vs.dest_port) + " " + vs.source_address + "/" +
                          std::to_string(vs.source_prefix_len);
        auto [other, inserted] = destinations.emplace(key, vs.name);
        if (!inserted) {
          error(vs.loc.line, object, "destination " + vs.dest_address + ":" + std::to_string(vs.dest_port) +
                                         " is already used by ltm virtual " + other->second);
        }
      }
    }
  }

  Config config_;
  std::vector<ConfigError> errors_;
  std::map<ObjectKind, std::map<std::string, int>> first_line_;  // canonical name -> line, per type
  std::vector<std::pair<std::size_t, std::size_t>> member_refs_;  // (pool, member) to resolve
  std::map<std::string, std::size_t> profile_index_;             // custom profile -> pending index
  std::vector<PendingProfile> pending_profiles_;                 // custom profiles in file order
  std::vector<VirtualRefs> virtual_refs_;                        // parallel to config_.virtuals
};

}  // namespace

ConfigLoadResult parse_config(const std::string& text, const std::string& file_name, const std::string& rules_dir) {
  ConfigTokens tokens = tokenize_config(text, file_name);
  if (tokens.error) return ConfigLoadResult{nullptr, {*tokens.error}};
  return Parser(file_name, rules_dir.empty() ? default_rules_dir(file_name) : rules_dir).run(tokens.statements);
}

ConfigLoadResult load_config(const std::string& path, const std::string& rules_dir) {
  std::string text;
  if (int err = read_file(path, &text); err != 0) {
    return ConfigLoadResult{nullptr, {ConfigError{path, 0, std::string("cannot read config: ") + std::strerror(err)}}};
  }
  return parse_config(text, path, rules_dir);
}

}  // namespace irulesd
