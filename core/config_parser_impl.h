// Internal to the config parser: the Parser class and what its files share. One file per object family
// (config_parser_*.cc); parse_config / load_config and the object dispatch live in config_parser.cc.
//
// Every object is read in one pass (collecting every error it can), then cross-references (member ->
// node, virtual -> pool / profile / rule, profile -> defaults-from, rule -> monitor) are resolved once
// everything is known, because bigip.conf may name an object before defining it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/config_tokenizer.h"

namespace irulesd::config_parser {

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

// ---- typed properties ------------------------------------------------------------------------------------

// How a property's value is read (config_parser_settings.cc).
enum class ValueKind {
  Flag,         // a key without a value (`vlans-disabled`)
  Any,          // metadata: any one word or { } block, accepted and dropped
  Text,         // one word or quoted string, as written between the quotes; bare `none` = empty
  Name,         // an object name, made canonical; bare `none` = empty
  Count,        // decimal min..max, or one of `words`
  Netmask,      // a contiguous dotted netmask, or one of `words`; stored as a host-order number
  Choice,       // one of `words`; those outside `supported` are refused as not supported
  Only,         // a BIG-IP property irulesd does not run, accepted at the values in `supported` only
  Expiration,   // cookie expiration: seconds, m:s, h:m:s, d:h:m:s or "session cookie" (0)
  Destination,  // monitor destination: *:*, *:PORT, ADDR:*, ADDR:PORT; with max != 0 also * and ADDR
};

// What a property id means is up to the object that owns the table. These two are common to all.
constexpr int kIgnored = -1;       // accepted, changes nothing (metadata, features at their default)
constexpr int kDescription = -2;   // the object's description

struct Setting {
  const char* key;
  ValueKind kind;
  int id = kIgnored;
  uint64_t min = 0;
  uint64_t max = 0;
  std::vector<std::pair<const char*, uint64_t>> words{};   // Count, Netmask, Choice: word -> value
  std::vector<const char*> supported{};                    // Choice: irulesd runs these (empty = all);
                                                           // Only: the accepted values
};

// A property value once read: numbers in n, text in s (Destination: address in s, port in n).
struct Value {
  uint64_t n = 0;
  std::string s;
};

// Shorthands for the tables.
Setting enabled_disabled(const char* key, int id);
Setting yes_no(const char* key, int id);
Setting only(const char* key, std::vector<const char*> values);
Setting count(const char* key, int id, uint64_t min, uint64_t max,
              std::vector<std::pair<const char*, uint64_t>> words = {});

// The metadata every BIG-IP object may carry (app-service, partition, creation-time, …, description).
const std::vector<Setting>& metadata_settings();

// ---- BIG-IP's names (config_bigip_names.cc) ---------------------------------------------------------------

bool is_bigip_module(const std::string& word);            // ltm, sys, net, apm, …
bool is_bigip_ltm_object_type(const std::string& word);   // pool, snat, policy, …
bool is_bigip_builtin_profile(const std::string& name);   // /Common/clientssl, /Common/fastL4, …
bool is_bigip_builtin_monitor(const std::string& name);   // /Common/https, /Common/icmp, …
bool is_bigip_builtin_persistence(const std::string& name);   // /Common/dest_addr, …

// ---- the template families: profiles, monitors, persistence (config_parser_template.cc) -------------------

enum class Family { Profile, Monitor, Persistence };

// A type of object that derives from a built-in through defaults-from: `ltm profile http`,
// `ltm monitor tcp`, `ltm persistence cookie`, … Tables in config_parser_profile.cc,
// config_parser_monitor.cc and config_parser_persistence.cc.
struct TemplateType {
  Family family;
  const char* type;       // "http", "source-addr"
  const char* builtin;    // "/Common/http", "/Common/source_addr"
  const std::vector<Setting>* settings;
};
const std::vector<TemplateType>& template_types();
std::vector<TemplateType> profile_template_types();       // config_parser_profile.cc
std::vector<TemplateType> monitor_template_types();       // config_parser_monitor.cc
std::vector<TemplateType> persistence_template_types();   // config_parser_persistence.cc
const TemplateType* find_template_type(Family family, const std::string& type);
const char* family_noun(Family family);   // "profile", "monitor", "persistence profile"

// A template object as written, before its defaults-from chain is resolved.
struct OwnSetting {
  const Setting* setting;
  Value value;
  int line;
};
struct PendingTemplate {
  const TemplateType* type = nullptr;
  std::string name;
  int line = 0;
  std::string parent;
  int parent_line = 0;
  std::vector<OwnSetting> own;   // in file order; a later one overrides an earlier one
  enum class State { Unresolved, Resolving, Done, Failed } state = State::Unresolved;
  std::size_t index = 0;         // in its Config vector once resolved
};

// Apply one own setting to a typed object (config_parser_profile.cc, _monitor.cc, _persistence.cc).
void apply_setting(HttpProfile& p, const OwnSetting& s);
void apply_setting(TcpProfile& p, const OwnSetting& s);
void apply_setting(OneConnectProfile& p, const OwnSetting& s);
void apply_setting(Monitor& m, const OwnSetting& s);
void apply_setting(PersistenceProfile& p, const OwnSetting& s);

// ---- the parser ------------------------------------------------------------------------------------------

enum class ObjectKind {
  SelfIp, Node, Pool, Profile, Virtual, Rule, DataGroup, Monitor, Persistence, SnatPool, SnatTranslation,
  VirtualAddress, DefaultNodeMonitor, SysFileIfile, Ifile,
};

// What a virtual names, with the line of each reference for errors.
struct ProfileRef {
  std::string name;
  int line = 0;
  enum class Context { All, ClientSide, ServerSide } context = Context::All;
};
struct VirtualRefs {
  int pool_line = 0;
  std::vector<ProfileRef> profiles;
  std::vector<int> rule_lines;
  std::string persist;            // canonical; empty = none
  int persist_line = 0;
  std::string fallback_persist;   // canonical; empty = none
  int fallback_line = 0;
  std::string snat_pool;          // canonical; empty = none
  int snat_line = 0;
};

class Parser {
 public:
  Parser(const std::string& file, const std::string& rules_dir);
  ConfigLoadResult run(const std::vector<ConfigStatement>& statements);

  // ---- errors and value reading (config_parser.cc, config_parser_settings.cc)
  void error(int line, const std::string& object, const std::string& message);
  void unknown_property(PropertyReader& r, const ConfigWord& key, const std::string& object);
  const ConfigWord* scalar_value(PropertyReader& r, const ConfigWord& key, const std::string& object);
  const ConfigWord* block_value(PropertyReader& r, const ConfigWord& key, const std::string& object);
  // The setting for key in table, else in the metadata every object accepts; nullptr for neither.
  static const Setting* lookup(const std::vector<Setting>& table, const ConfigWord& key);
  // Reads key's value as the setting says; false (error reported) when it is missing or bad.
  bool read_setting(PropertyReader& r, const ConfigWord& key, const Setting& setting, const std::string& object,
                    Value* out);

 private:
  void parse_object(const ConfigStatement& s);
  void unsupported_object(const ConfigStatement& s);
  void parse_self(const std::string& name, int line, const ConfigWord& body, const std::string& object);

  // config_parser_pool.cc
  void parse_node(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_pool(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_members(Pool& pool, std::size_t pool_index, const ConfigWord& block, const std::string& object);
  void parse_member(PoolMember& member, const ConfigWord& body, const std::string& object);
  void parse_default_node_monitor(int line, const ConfigWord& body, const std::string& object);
  void parse_lb_mode(const ConfigWord& v, const std::string& object, LbMode* out);
  bool parse_monitor_rule(PropertyReader& r, const ConfigWord& key, const std::string& object, MonitorRule* out,
                          bool allow_default);
  void parse_session_state(const ConfigWord& key, const ConfigWord& v, const std::string& object,
                           bool* user_disabled, bool* user_down);
  void resolve_members();
  void resolve_monitor_rules();

  // config_parser_template.cc
  void parse_template(const TemplateType& type, const std::string& name, int line, const ConfigWord& body,
                      const std::string& object);
  void read_template_block(const TemplateType& type, const ConfigWord& body, const std::string& object,
                           PendingTemplate& pending);
  void resolve_templates();
  template <typename T>
  bool resolve_template(std::size_t index, std::vector<T>& out);
  std::string template_object(const PendingTemplate& p) const;
  void check_template(const PendingTemplate& p);

  // config_parser_virtual.cc
  void parse_virtual(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_profile_list(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object);
  void parse_rule_list(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object);
  void parse_persist(VirtualRefs& refs, const ConfigWord& block, const std::string& object);
  void parse_snat(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object);
  void resolve_virtuals();
  void resolve_virtual_profiles(VirtualServer& vs, const VirtualRefs& refs, const std::string& object);
  void resolve_virtual_persistence(VirtualServer& vs, const VirtualRefs& refs, const std::string& object);
  void resolve_virtual_rules(VirtualServer& vs, const VirtualRefs& refs, const std::string& object);

  // config_parser_snat.cc
  void parse_snatpool(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  // iFiles (config_parser_ifile.cc)
  void parse_sys_file_ifile(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_ifile(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void resolve_ifiles();
  void parse_snat_translation(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_virtual_address(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void resolve_snat_pools();

  // config_parser_data_group.cc
  void parse_data_group(const std::string& name, int line, const ConfigWord& body, const std::string& object);
  void parse_records(DataGroup& group, const ConfigWord& block, const std::string& object);

  // Rules: an inline one, or RULES_DIR/NAME.tcl read once; false (error at line) when neither exists.
  bool ensure_rule(const std::string& rule, int line, const std::string& object);

  // True when `name` is an object of `family` that this file defines with a type irulesd does not
  // support: it has had its error, so a reference to it gets none.
  bool reported_unsupported(Family family, const std::string& name) const {
    auto it = unsupported_names_.find(family);
    return it != unsupported_names_.end() && it->second.count(name) != 0;
  }

  Config config_;
  std::vector<ConfigError> errors_;
  std::map<ObjectKind, std::map<std::string, int>> first_line_;  // canonical name -> line, per type
  std::map<Family, std::set<std::string>> unsupported_names_;     // see reported_unsupported
  std::vector<std::pair<std::size_t, std::size_t>> member_refs_;  // (pool, member) to resolve
  std::vector<PendingTemplate> templates_;                        // custom profiles/monitors/persistence
  std::map<std::pair<Family, std::string>, std::size_t> template_index_;  // (family, name) -> templates_
  std::vector<VirtualRefs> virtual_refs_;                         // parallel to config_.virtuals
  std::vector<std::vector<std::pair<std::string, int>>> snatpool_members_;  // parallel to config_.snat_pools
  std::map<std::string, std::string> sys_ifiles_;   // sys file ifile name -> its bytes
  std::map<std::string, int> file_rule_errno_;                    // rules read from the rules folder
};

}  // namespace irulesd::config_parser
