// Objects that derive from a built-in through defaults-from: `ltm profile http|tcp|one-connect`,
// `ltm monitor tcp|http|gateway-icmp`, `ltm persistence source-addr|cookie|universal|hash`. Each is read
// as a list of its own settings; once the whole file is known, its chain is resolved (the parent may be
// defined later): start from the parent's resolved values (a built-in's are BIG-IP's defaults), apply
// the own settings in file order.
#include <algorithm>

#include "core/config_parser_impl.h"

namespace irulesd::config_parser {
namespace {

// The built-ins of a family that a custom object of another type cannot derive from, for the
// "is not a tcp profile" message (rather than "does not exist").
bool is_family_builtin(Family family, const std::string& name) {
  for (const TemplateType& t : template_types()) {
    if (t.family == family && name == t.builtin) return true;
  }
  if (family == Family::Profile) return name == "/Common/websocket";
  return false;
}

bool is_bigip_builtin(Family family, const std::string& name) {
  switch (family) {
    case Family::Profile: return is_bigip_builtin_profile(name);
    case Family::Monitor: return is_bigip_builtin_monitor(name);
    case Family::Persistence: return is_bigip_builtin_persistence(name);
  }
  return false;
}

// "an http profile", "a tcp monitor", "a cookie persistence profile"
std::string a_type(const TemplateType& t) {
  std::string what = std::string(t.type) + " " + family_noun(t.family);
  return (what[0] == 'h' && what[1] == 't' ? "an " : "a ") + what;
}

template <typename T>
T builtin_object(const TemplateType& t);
template <>
HttpProfile builtin_object<HttpProfile>(const TemplateType&) { return HttpProfile{}; }
template <>
TcpProfile builtin_object<TcpProfile>(const TemplateType&) { return TcpProfile{}; }
template <>
OneConnectProfile builtin_object<OneConnectProfile>(const TemplateType&) { return OneConnectProfile{}; }
template <>
Monitor builtin_object<Monitor>(const TemplateType& t) {
  for (const Monitor& m : builtin_monitors()) {
    if (m.name == t.builtin) return m;
  }
  return Monitor{};
}
template <>
PersistenceProfile builtin_object<PersistenceProfile>(const TemplateType& t) {
  for (const PersistenceProfile& p : builtin_persistence_profiles()) {
    if (p.name == t.builtin) return p;
  }
  return PersistenceProfile{};
}

template <typename T>
void set_identity(T& object, const PendingTemplate& p, const std::string& file) {
  object.name = p.name;
  object.loc = SourceLoc{file, p.line};
}
template <>
void set_identity<Monitor>(Monitor& m, const PendingTemplate& p, const std::string& file) {
  m.name = p.name;
  m.defaults_from = p.parent;
  m.loc = SourceLoc{file, p.line};
}
template <>
void set_identity<PersistenceProfile>(PersistenceProfile& pp, const PendingTemplate& p, const std::string& file) {
  pp.name = p.name;
  pp.defaults_from = p.parent;
  pp.loc = SourceLoc{file, p.line};
}

}  // namespace

const char* family_noun(Family family) {
  switch (family) {
    case Family::Profile: return "profile";
    case Family::Monitor: return "monitor";
    case Family::Persistence: return "persistence profile";
  }
  return "object";
}

const std::vector<TemplateType>& template_types() {
  static const std::vector<TemplateType> types = [] {
    std::vector<TemplateType> all = profile_template_types();
    for (const TemplateType& t : monitor_template_types()) all.push_back(t);
    for (const TemplateType& t : persistence_template_types()) all.push_back(t);
    return all;
  }();
  return types;
}

const TemplateType* find_template_type(Family family, const std::string& type) {
  for (const TemplateType& t : template_types()) {
    if (t.family == family && type == t.type) return &t;
  }
  return nullptr;
}

std::string Parser::template_object(const PendingTemplate& p) const {
  static const char* const kWords[] = {"ltm profile ", "ltm monitor ", "ltm persistence "};
  return kWords[static_cast<int>(p.type->family)] + std::string(p.type->type) + " " + p.name;
}

void Parser::parse_template(const TemplateType& type, const std::string& name, int line, const ConfigWord& body,
                            const std::string& object) {
  if (is_family_builtin(type.family, name)) {
    error(line, object, std::string("a built-in ") + family_noun(type.family) + " cannot be redefined");
    return;
  }
  PendingTemplate pending;
  pending.type = &type;
  pending.name = name;
  pending.line = line;
  read_template_block(type, body, object, pending);
  if (pending.parent.empty()) {
    error(line, object, std::string("missing defaults-from (a custom ") + type.type + " " + family_noun(type.family) +
                            " derives from " + type.builtin + ")");
    pending.parent = type.builtin;  // keeps resolution going without a second error
  }
  template_index_[{type.family, name}] = templates_.size();
  templates_.push_back(std::move(pending));
}

void Parser::read_template_block(const TemplateType& type, const ConfigWord& body, const std::string& object,
                                 PendingTemplate& pending) {
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    const bool bare = key->kind == ConfigWord::Kind::Bare;
    if (bare && key->text == "defaults-from") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) {
        pending.parent = canonical_name(v->value());
        pending.parent_line = v->line;
      }
    } else if (bare && key->text == "enforcement" && type.family == Family::Profile &&
               std::string(type.type) == "http") {
      // BIG-IP 11.6 and later keep the header limits in `enforcement { }`; older versions at the top.
      if (const ConfigWord* v = block_value(r, *key, object)) read_template_block(type, *v, object, pending);
    } else if (const Setting* s = lookup(*type.settings, *key)) {
      Value value;
      if (read_setting(r, *key, *s, object, &value)) pending.own.push_back(OwnSetting{s, std::move(value), key->line});
    } else {
      unknown_property(r, *key, object);
    }
  }
}

template <typename T>
bool Parser::resolve_template(std::size_t index, std::vector<T>& out) {
  PendingTemplate& p = templates_[index];
  if (p.state == PendingTemplate::State::Done) return true;
  if (p.state == PendingTemplate::State::Failed) return false;
  const std::string object = template_object(p);
  if (p.state == PendingTemplate::State::Resolving) {
    error(p.parent_line, object, "defaults-from forms a cycle through " + p.parent);
    return false;
  }
  p.state = PendingTemplate::State::Resolving;
  const TemplateType& type = *p.type;
  T resolved = builtin_object<T>(type);
  bool ok = true;
  if (p.parent != type.builtin) {
    auto it = template_index_.find({type.family, p.parent});
    if (it != template_index_.end() && templates_[it->second].type == &type) {
      ok = resolve_template(it->second, out);
      resolved = out[templates_[it->second].index];
    } else if (reported_unsupported(type.family, p.parent)) {
      ok = false;   // the parent's definition has had its error
    } else if (it != template_index_.end() || is_family_builtin(type.family, p.parent)) {
      error(p.parent_line, object, "defaults-from " + p.parent + " is not " + a_type(type));
      ok = false;
    } else if (is_bigip_builtin(type.family, p.parent)) {
      error(p.parent_line, object, "defaults-from " + p.parent + " is a BIG-IP built-in irulesd does not have (derive from " +
                                       type.builtin + ")");
      ok = false;
    } else {
      error(p.parent_line, object, "defaults-from " + p.parent + ": " + family_noun(type.family) + " does not exist");
      ok = false;
    }
  }
  for (const OwnSetting& s : p.own) apply_setting(resolved, s);
  set_identity(resolved, p, config_.file);
  out[p.index] = std::move(resolved);
  // A broken chain has had its error; what depends on it resolves quietly from what could be known.
  p.state = PendingTemplate::State::Done;
  return ok;
}

// Checks that need the resolved values (a monitor's interval and timeout may come from its parent).
void Parser::check_template(const PendingTemplate& p) {
  const std::string object = template_object(p);
  if (p.type->family == Family::Monitor) {
    const Monitor& m = config_.monitors[p.index];
    if (m.interval_s >= m.timeout_s) {
      error(p.line, object, "interval " + std::to_string(m.interval_s) + " must be less than timeout " +
                                std::to_string(m.timeout_s));
    }
  } else if (p.type->family == Family::Persistence) {
    const PersistenceProfile& pp = config_.persistence_profiles[p.index];
    for (const OwnSetting& s : p.own) {
      if (std::string(s.setting->key) == "rule" && !pp.rule.empty() && s.value.s == pp.rule) {
        ensure_rule(pp.rule, s.line, object);
      }
    }
  }
}

void Parser::resolve_templates() {
  // Each object's place in its vector: file order per type, whatever order the chains resolve in.
  for (PendingTemplate& p : templates_) {
    const std::string type = p.type->type;
    switch (p.type->family) {
      case Family::Profile:
        if (type == "http") {
          p.index = config_.http_profiles.size();
          config_.http_profiles.emplace_back();
        } else if (type == "tcp") {
          p.index = config_.tcp_profiles.size();
          config_.tcp_profiles.emplace_back();
        } else {
          p.index = config_.oneconnect_profiles.size();
          config_.oneconnect_profiles.emplace_back();
        }
        break;
      case Family::Monitor:
        p.index = config_.monitors.size();
        config_.monitors.emplace_back();
        break;
      case Family::Persistence:
        p.index = config_.persistence_profiles.size();
        config_.persistence_profiles.emplace_back();
        break;
    }
  }
  for (std::size_t i = 0; i < templates_.size(); ++i) {
    const std::string type = templates_[i].type->type;
    switch (templates_[i].type->family) {
      case Family::Profile:
        if (type == "http") {
          resolve_template(i, config_.http_profiles);
        } else if (type == "tcp") {
          resolve_template(i, config_.tcp_profiles);
        } else {
          resolve_template(i, config_.oneconnect_profiles);
        }
        break;
      case Family::Monitor: resolve_template(i, config_.monitors); break;
      case Family::Persistence: resolve_template(i, config_.persistence_profiles); break;
    }
  }
  for (const PendingTemplate& p : templates_) check_template(p);
}

}  // namespace irulesd::config_parser
