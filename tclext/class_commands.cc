// class, matchclass, findclass over `ltm data-group internal` (clouddocs.f5.com/api/irules/class.html,
// matchclass.html, findclass.html). The data groups and their indices belong to the config version the
// engine runs (ctx.config): built once when the config was parsed, shared by every worker, never per
// request. Which element answers when several match, and the element order, are core/data_group.h's.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/data_group.h"
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

Tcl_Obj* string_obj(std::string_view s) { return Tcl_NewStringObj(s.data(), static_cast<int>(s.size())); }

int wrong_args(Tcl_Interp* interp, const char* command, const char* usage) {
  return command_error(interp, std::string("wrong # args: should be \"") + command + " " + usage + "\"");
}

// The data group a rule names, or nullptr with the error set. Bare names are /Common/ ones, as on
// BIG-IP v11+.
const DataGroup* data_group(FireContext& ctx, Tcl_Interp* interp, const char* command, Tcl_Obj* name) {
  const DataGroup* group = ctx.config ? find_data_group(*ctx.config, arg_view(name)) : nullptr;
  if (group == nullptr) {
    command_error(interp, std::string(command) + ": no data group named \"" + std::string(arg_view(name)) + "\"");
    return nullptr;
  }
  if (!group->index) {   // a Config built without finish_data_groups: a bug, not a rule error
    command_error(interp, std::string(command) + ": data group " + group->name + " has no index");
    return nullptr;
  }
  return group;
}

// Operator names in ClassOp order.
constexpr const char* kOperators[] = {"equals", "starts_with", "ends_with", "contains", nullptr};

int get_operator(Tcl_Interp* interp, Tcl_Obj* obj, ClassOp* op) {
  int index = 0;
  if (Tcl_GetIndexFromObj(interp, obj, kOperators, "operator", TCL_EXACT, &index) != TCL_OK) return TCL_ERROR;
  *op = static_cast<ClassOp>(index);
  return TCL_OK;
}

int check_operator(Tcl_Interp* interp, const char* command, const DataGroup& group, ClassOp op) {
  if (group.index->supports(op)) return TCL_OK;
  return command_error(interp, std::string(command) + ": operator " + kOperators[static_cast<int>(op)] +
                                   " does not apply to ip data group " + group.name + " (equals only)");
}

// What `class match` / `search` / `nextelement` return for an element.
enum class Show { Found, Index, Name, Value, Element };

Tcl_Obj* element_obj(const DataGroup& group, uint32_t e, Show show) {
  const DataGroupRecord& r = group.records[e];
  switch (show) {
    case Show::Index: return Tcl_NewWideIntObj(e);
    case Show::Name: return string_obj(r.name);
    case Show::Value: return string_obj(r.data);
    case Show::Element:
    case Show::Found: {
      Tcl_Obj* pair[2] = {string_obj(r.name), string_obj(r.data)};
      return Tcl_NewListObj(2, pair);
    }
  }
  return Tcl_NewObj();
}

// The result of a match without -all: 1/0, or the element as asked (-index -1 / "" without one).
void set_single(Tcl_Interp* interp, const DataGroup& group, uint32_t e, Show show) {
  if (show == Show::Found) {
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(e != kNoElement));
  } else if (e == kNoElement) {
    Tcl_SetObjResult(interp, show == Show::Index ? Tcl_NewIntObj(-1) : Tcl_NewObj());
  } else {
    Tcl_SetObjResult(interp, element_obj(group, e, show));
  }
}

// -index -name -value -element -all --, as F5 lists them.
constexpr const char* kMatchOptions[] = {"-all", "-element", "-index", "-name", "-value", "--", nullptr};

// class match ?options? item operator class  |  class search ?options? class operator item
int match_or_search(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool search) {
  const char* command = search ? "class search" : "class match";
  if (objc < 5) return wrong_args(interp, command, search ? "?options? class operator item" : "?options? item operator class");
  // The last three words are the operands, everything between is an option: an item that starts
  // with "-" needs no "--".
  Show show = Show::Found;
  bool all = false;
  for (int i = 2; i < objc - 3; ++i) {
    int option = 0;
    if (Tcl_GetIndexFromObj(interp, objv[i], kMatchOptions, "option", TCL_EXACT, &option) != TCL_OK) return TCL_ERROR;
    switch (option) {
      case 0: all = true; break;
      case 1: show = Show::Element; break;
      case 2: show = Show::Index; break;
      case 3: show = Show::Name; break;
      case 4: show = Show::Value; break;
      case 5:
        if (i != objc - 4) return command_error(interp, std::string(command) + ": \"--\" must be the last option");
        break;
    }
  }
  Tcl_Obj* item = objv[search ? objc - 1 : objc - 3];
  Tcl_Obj* name = objv[search ? objc - 3 : objc - 1];
  ClassOp op;
  if (get_operator(interp, objv[objc - 2], &op) != TCL_OK) return TCL_ERROR;
  const DataGroup* group = data_group(ctx, interp, command, name);
  if (group == nullptr || check_operator(interp, command, *group, op) != TCL_OK) return TCL_ERROR;

  // -all alone has nothing to list: it answers 1/0 like no option.
  if (!all || show == Show::Found) {
    uint32_t e = search ? group->index->search(*group, arg_view(item), op, nullptr)
                        : group->index->match(*group, arg_view(item), op, nullptr);
    set_single(interp, *group, e, show);
    return TCL_OK;
  }
  thread_local std::vector<uint32_t> found;   // reused: no allocation per call once warm
  if (search) {
    group->index->search(*group, arg_view(item), op, &found);
  } else {
    group->index->match(*group, arg_view(item), op, &found);
  }
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (uint32_t e : found) Tcl_ListObjAppendElement(nullptr, list, element_obj(*group, e, show));
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

// class lookup item class: the value of the element item equals (ip: of the most specific network).
int class_lookup(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 4) return wrong_args(interp, "class lookup", "item class");
  const DataGroup* group = data_group(ctx, interp, "class lookup", objv[3]);
  if (group == nullptr) return TCL_ERROR;
  uint32_t e = group->index->match(*group, arg_view(objv[2]), ClassOp::Equals, nullptr);
  set_single(interp, *group, e, Show::Value);
  return TCL_OK;
}

// Options of element/nextelement: what to return instead of {name value}.
int parse_show(Tcl_Interp* interp, int from, int to, Tcl_Obj* const objv[], bool with_index, Show* show) {
  static constexpr const char* kElementOptions[] = {"-name", "-value", "--", nullptr};
  static constexpr const char* kNextOptions[] = {"-index", "-name", "-value", "--", nullptr};
  const char* const* table = with_index ? kNextOptions : kElementOptions;
  for (int i = from; i < to; ++i) {
    int option = 0;
    if (Tcl_GetIndexFromObj(interp, objv[i], table, "option", TCL_EXACT, &option) != TCL_OK) return TCL_ERROR;
    const std::string_view chosen = table[option];
    if (chosen == "-index") *show = Show::Index;
    if (chosen == "-name") *show = Show::Name;
    if (chosen == "-value") *show = Show::Value;
  }
  return TCL_OK;
}

// class element ?-name|-value? index class
int class_element(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 4) return wrong_args(interp, "class element", "?-name|-value? index class");
  Show show = Show::Element;
  if (parse_show(interp, 2, objc - 2, objv, false, &show) != TCL_OK) return TCL_ERROR;
  Tcl_WideInt index = 0;
  if (Tcl_GetWideIntFromObj(interp, objv[objc - 2], &index) != TCL_OK) return TCL_ERROR;
  const DataGroup* group = data_group(ctx, interp, "class element", objv[objc - 1]);
  if (group == nullptr) return TCL_ERROR;
  if (index < 0 || static_cast<std::size_t>(index) >= group->records.size()) {
    Tcl_ResetResult(interp);   // out of range: empty, as a lookup that finds nothing
  } else {
    Tcl_SetObjResult(interp, element_obj(*group, static_cast<uint32_t>(index), show));
  }
  return TCL_OK;
}

// class type|exists|size class
int class_about(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], std::string_view sub) {
  const char* command = sub == "type" ? "class type" : sub == "exists" ? "class exists" : "class size";
  if (objc != 3) return wrong_args(interp, command, "class");
  if (sub == "exists") {
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(ctx.config && find_data_group(*ctx.config, arg_view(objv[2]))));
    return TCL_OK;
  }
  const DataGroup* group = data_group(ctx, interp, command, objv[2]);
  if (group == nullptr) return TCL_ERROR;
  if (sub == "type") {
    Tcl_SetObjResult(interp, Tcl_NewStringObj(data_group_type_name(group->type), -1));
  } else {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(group->records.size())));
  }
  return TCL_OK;
}

// class names|get ?-nocase? class ?pattern?: names (or {name value} pairs) matching a glob pattern.
int class_list(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool pairs) {
  const char* command = pairs ? "class get" : "class names";
  int at = 2;
  bool nocase = false;
  if (objc > at && arg_view(objv[at]) == "-nocase" && objc > 3) {
    nocase = true;
    ++at;
  }
  if (objc - at < 1 || objc - at > 2) return wrong_args(interp, command, "?-nocase? class ?pattern?");
  const DataGroup* group = data_group(ctx, interp, command, objv[at]);
  if (group == nullptr) return TCL_ERROR;
  const char* pattern = objc - at == 2 ? Tcl_GetString(objv[at + 1]) : nullptr;
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (uint32_t e = 0; e < group->records.size(); ++e) {
    if (pattern && !Tcl_StringCaseMatch(group->records[e].name.c_str(), pattern, nocase ? TCL_MATCH_NOCASE : 0)) {
      continue;
    }
    Tcl_ListObjAppendElement(nullptr, list, element_obj(*group, e, pairs ? Show::Element : Show::Name));
  }
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

// ---- class startsearch / nextelement / anymore / donesearch -------------------------------------------

// The open searches of one interpreter (one worker): its config never changes, so a search keeps a
// pointer to its data group. A rule that never calls donesearch cannot grow this without bound: past
// kMaxSearches, starting a search ends the oldest.
constexpr std::size_t kMaxSearches = 256;
constexpr const char* kSearchesKey = "irulesd::class_searches";

struct ClassSearch {
  const DataGroup* group;
  std::size_t next;
};
struct ClassSearches {
  uint64_t next_id = 1;
  std::map<uint64_t, ClassSearch> open;   // by id: the oldest first
};

void delete_searches(ClientData data, Tcl_Interp*) { delete static_cast<ClassSearches*>(data); }

ClassSearches& searches(Tcl_Interp* interp) {
  auto* s = static_cast<ClassSearches*>(Tcl_GetAssocData(interp, kSearchesKey, nullptr));
  if (s == nullptr) {
    s = new ClassSearches;
    Tcl_SetAssocData(interp, kSearchesKey, delete_searches, s);
  }
  return *s;
}

int class_startsearch(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) return wrong_args(interp, "class startsearch", "class");
  const DataGroup* group = data_group(ctx, interp, "class startsearch", objv[2]);
  if (group == nullptr) return TCL_ERROR;
  ClassSearches& s = searches(interp);
  if (s.open.size() >= kMaxSearches) s.open.erase(s.open.begin());
  const uint64_t id = s.next_id++;
  s.open.emplace(id, ClassSearch{group, 0});
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(id)));
  return TCL_OK;
}

// The open search `id` on `class`, or nullptr with the error set.
ClassSearch* open_search(FireContext& ctx, Tcl_Interp* interp, const char* command, Tcl_Obj* name, Tcl_Obj* id) {
  const DataGroup* group = data_group(ctx, interp, command, name);
  if (group == nullptr) return nullptr;
  ClassSearches& s = searches(interp);
  Tcl_WideInt n = 0;
  auto it = Tcl_GetWideIntFromObj(nullptr, id, &n) == TCL_OK ? s.open.find(static_cast<uint64_t>(n)) : s.open.end();
  if (it == s.open.end() || it->second.group != group) {
    command_error(interp, std::string(command) + ": no search \"" + std::string(arg_view(id)) + "\" open on data group " +
                              group->name);
    return nullptr;
  }
  return &it->second;
}

// class nextelement ?-index|-name|-value? class search_id: the next element, "" past the last.
int class_nextelement(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 4) return wrong_args(interp, "class nextelement", "?-index|-name|-value? class search_id");
  Show show = Show::Element;
  if (parse_show(interp, 2, objc - 2, objv, true, &show) != TCL_OK) return TCL_ERROR;
  ClassSearch* search = open_search(ctx, interp, "class nextelement", objv[objc - 2], objv[objc - 1]);
  if (search == nullptr) return TCL_ERROR;
  if (search->next >= search->group->records.size()) {
    Tcl_ResetResult(interp);
  } else {
    Tcl_SetObjResult(interp, element_obj(*search->group, static_cast<uint32_t>(search->next++), show));
  }
  return TCL_OK;
}

// class anymore|donesearch class search_id
int class_search_state(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool done) {
  const char* command = done ? "class donesearch" : "class anymore";
  if (objc != 4) return wrong_args(interp, command, "class search_id");
  ClassSearch* search = open_search(ctx, interp, command, objv[2], objv[3]);
  if (search == nullptr) return TCL_ERROR;
  if (done) {
    Tcl_WideInt id = 0;
    Tcl_GetWideIntFromObj(nullptr, objv[3], &id);
    searches(interp).open.erase(static_cast<uint64_t>(id));
    Tcl_ResetResult(interp);
  } else {
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(search->next < search->group->records.size()));
  }
  return TCL_OK;
}

// ---- the commands --------------------------------------------------------------------------------------

constexpr const char* kClassSubcommands[] = {"anymore", "donesearch", "element", "exists", "get",
                                             "lookup",  "match",      "names",   "nextelement", "search",
                                             "size",    "startsearch", "type",   nullptr};

int ClassCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) return wrong_args(interp, "class", "subcommand ?arg ...?");
  int sub = 0;
  if (Tcl_GetIndexFromObj(interp, objv[1], kClassSubcommands, "subcommand", TCL_EXACT, &sub) != TCL_OK) {
    return TCL_ERROR;
  }
  const std::string_view name = kClassSubcommands[sub];
  if (name == "match") return match_or_search(ctx, interp, objc, objv, false);
  if (name == "search") return match_or_search(ctx, interp, objc, objv, true);
  if (name == "lookup") return class_lookup(ctx, interp, objc, objv);
  if (name == "element") return class_element(ctx, interp, objc, objv);
  if (name == "names") return class_list(ctx, interp, objc, objv, false);
  if (name == "get") return class_list(ctx, interp, objc, objv, true);
  if (name == "startsearch") return class_startsearch(ctx, interp, objc, objv);
  if (name == "nextelement") return class_nextelement(ctx, interp, objc, objv);
  if (name == "anymore") return class_search_state(ctx, interp, objc, objv, false);
  if (name == "donesearch") return class_search_state(ctx, interp, objc, objv, true);
  return class_about(ctx, interp, objc, objv, name);   // type, exists, size
}

// matchclass <data-group> <operator> <value>: does an element OP value (class search);
// matchclass <value> <operator> <data-group>: does value OP an element (class match).
// The first word is taken as the data group when it names one. The 1-based index of the match, 0 if
// none.
int MatchclassCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 4) return wrong_args(interp, "matchclass", "data-group|value operator value|data-group");
  ClassOp op;
  if (get_operator(interp, objv[2], &op) != TCL_OK) return TCL_ERROR;
  const DataGroup* group = ctx.config ? find_data_group(*ctx.config, arg_view(objv[1])) : nullptr;
  const bool search = group != nullptr;
  if (!search) group = ctx.config ? find_data_group(*ctx.config, arg_view(objv[3])) : nullptr;
  if (group == nullptr) {
    return command_error(interp, "matchclass: neither \"" + std::string(arg_view(objv[1])) + "\" nor \"" +
                                     std::string(arg_view(objv[3])) + "\" is a data group");
  }
  if (!group->index) return command_error(interp, "matchclass: data group " + group->name + " has no index");
  if (check_operator(interp, "matchclass", *group, op) != TCL_OK) return TCL_ERROR;
  uint32_t e = search ? group->index->search(*group, arg_view(objv[3]), op, nullptr)
                      : group->index->match(*group, arg_view(objv[1]), op, nullptr);
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(e == kNoElement ? 0 : Tcl_WideInt{e} + 1));
  return TCL_OK;
}

// findclass <value> <data-group> ?<separator>?: the first element whose name starts with value, as
// its member string ("name" or "name value"); with a separator, the part after the first separator.
int FindclassCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, "findclass", "value data-group ?separator?");
  const DataGroup* group = data_group(ctx, interp, "findclass", objv[2]);
  if (group == nullptr || check_operator(interp, "findclass", *group, ClassOp::StartsWith) != TCL_OK) return TCL_ERROR;
  uint32_t e = group->index->search(*group, arg_view(objv[1]), ClassOp::StartsWith, nullptr);
  if (e == kNoElement) {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  const DataGroupRecord& r = group->records[e];
  std::string member = r.data.empty() ? r.name : r.name + " " + r.data;
  if (objc == 4) {
    const std::string_view separator = arg_view(objv[3]);
    const std::size_t at = separator.empty() ? std::string::npos : member.find(separator);
    if (at != std::string::npos) member.erase(0, at + separator.size());
  }
  set_result(interp, member);
  return TCL_OK;
}

// class is valid in every event, RULE_INIT included (F5: "Valid Events: ANY_EVENT").
constexpr CommandSpec kClassCommands[] = {
    {"class", kAnyEvent, ClassCmd},
    {"matchclass", kAnyEvent, MatchclassCmd},
    {"findclass", kAnyEvent, FindclassCmd},
};

}  // namespace

std::span<const CommandSpec> class_commands() { return kClassCommands; }

}  // namespace irulesd::tclext
