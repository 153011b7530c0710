// puts, encoding, history as iRules may use them (compat_builtins.h).
#include "tclext/compat_builtins.h"

#include <algorithm>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

// A Tcl ensemble's rule: the subcommand named, or the only one the word is a prefix of; -1 otherwise.
int subcommand_index(std::string_view word, std::span<const std::string_view> names) {
  int found = -1;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == word) return static_cast<int>(i);
    if (!word.empty() && names[i].substr(0, word.size()) == word) {
      if (found >= 0) return -1;   // ambiguous
      found = static_cast<int>(i);
    }
  }
  return found;
}

// Tcl's words for an unknown subcommand: `… must be a, b, or c`.
int unknown_subcommand(Tcl_Interp* interp, std::string_view word, std::span<const std::string_view> listed) {
  std::string message = "unknown or ambiguous subcommand \"" + std::string(word) + "\": must be ";
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (i > 0) message += listed.size() > 2 ? ", " : " ";
    if (i + 1 == listed.size() && listed.size() > 1) message += "or ";
    message += listed[i];
  }
  return command_error(interp, message);
}

// ---- puts ----------------------------------------------------------------------------------------

// As `log` caps a message (syslog's 1024 bytes on BIG-IP), on one line.
constexpr std::size_t kMaxMessage = 1024;

int puts_usage(Tcl_Interp* interp, Tcl_Obj* const objv[]) {
  Tcl_WrongNumArgs(interp, 1, objv, "?-nonewline? ?channelId? string");
  return TCL_ERROR;
}

// ---- encoding ------------------------------------------------------------------------------------

// Encodings by name, loaded once per process and never freed: Tcl would otherwise read an encoding's
// file again each time its last user lets go of it. Only the names Tcl lists are looked up, so a name
// is never taken for a path.
class Encodings {
 public:
  static Encodings& instance() {
    static Encodings* encodings = new Encodings();   // process-wide, like Tcl's own table
    return *encodings;
  }

  // nullptr when Tcl has no encoding of that name. interp's result is left alone.
  Tcl_Encoding find(Tcl_Interp* interp, std::string_view name) {
    std::lock_guard<std::mutex> lock(mutex_);
    list(interp);
    const std::string key(name);
    if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;
    if (std::find(names_.begin(), names_.end(), key) == names_.end()) return nullptr;
    Tcl_Encoding encoding = Tcl_GetEncoding(nullptr, key.c_str());
    if (encoding != nullptr) loaded_.emplace(key, encoding);
    return encoding;
  }

  // Tcl's list of encoding names, as a new list object.
  Tcl_Obj* names(Tcl_Interp* interp) {
    std::lock_guard<std::mutex> lock(mutex_);
    list(interp);
    Tcl_Obj* out = Tcl_NewListObj(0, nullptr);
    for (const std::string& name : names_) {
      Tcl_ListObjAppendElement(nullptr, out, Tcl_NewStringObj(name.data(), static_cast<int>(name.size())));
    }
    return out;
  }

 private:
  // Reads Tcl's encoding folders once (mutex_ held).
  void list(Tcl_Interp* interp) {
    if (listed_) return;
    listed_ = true;
    Tcl_Obj* saved = Tcl_GetObjResult(interp);
    Tcl_IncrRefCount(saved);
    Tcl_GetEncodingNames(interp);
    int count = 0;
    Tcl_Obj** items = nullptr;
    if (Tcl_ListObjGetElements(nullptr, Tcl_GetObjResult(interp), &count, &items) == TCL_OK) {
      for (int i = 0; i < count; ++i) names_.emplace_back(Tcl_GetString(items[i]));
    }
    std::sort(names_.begin(), names_.end());
    Tcl_SetObjResult(interp, saved);
    Tcl_DecrRefCount(saved);
  }

  std::mutex mutex_;
  bool listed_ = false;
  std::vector<std::string> names_;
  std::unordered_map<std::string, Tcl_Encoding> loaded_;
};

// The default when a rule names none: Tcl would use the process's system encoding, which follows the
// daemon's locale; a rule's result should not.
constexpr const char* kDefaultEncoding = "utf-8";

int convert(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool to_external) {
  if (objc != 3 && objc != 4) {
    Tcl_WrongNumArgs(interp, 1, objv, to_external ? "convertto ?encoding? data" : "convertfrom ?encoding? data");
    return TCL_ERROR;
  }
  const std::string_view name = objc == 4 ? arg_view(objv[2]) : std::string_view(kDefaultEncoding);
  Tcl_Encoding encoding = Encodings::instance().find(interp, name);
  if (encoding == nullptr) return command_error(interp, "unknown encoding \"" + std::string(name) + "\"");
  Tcl_DString converted;
  if (to_external) {
    int length = 0;
    const char* text = Tcl_GetStringFromObj(objv[objc - 1], &length);
    Tcl_UtfToExternalDString(encoding, text, length, &converted);
    Tcl_SetObjResult(interp, Tcl_NewByteArrayObj(reinterpret_cast<const unsigned char*>(Tcl_DStringValue(&converted)),
                                                 Tcl_DStringLength(&converted)));
  } else {
    // The data's bytes as irulesd's byte commands read them (value_bytes.h): a byte array's own, or
    // a text value's bytes as they came off the wire.
    std::string scratch;
    const std::string_view bytes = value_bytes(objv[objc - 1], scratch);
    Tcl_ExternalToUtfDString(encoding, bytes.data(), static_cast<int>(bytes.size()), &converted);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_DStringValue(&converted), Tcl_DStringLength(&converted)));
  }
  Tcl_DStringFree(&converted);
  return TCL_OK;
}

constexpr std::string_view kEncodingSubcommands[] = {"convertfrom", "convertto", "names", "dirs", "system"};
constexpr std::string_view kEncodingOffered[] = {"convertfrom", "convertto", "names"};

// ---- history -------------------------------------------------------------------------------------

constexpr std::string_view kHistorySubcommands[] = {"add",  "change", "clear",  "event",
                                                    "info", "keep",   "nextid", "redo"};
constexpr int kHistoryKeep = 20;   // Tcl's default

int no_such_event(Tcl_Interp* interp, std::string_view event) {
  // Tcl's own words (spelling included) for an event that is not in the history.
  return command_error(interp, "event \"" + std::string(event) + "\" hasn't occured yet");
}

}  // namespace

int PutsCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  int i = 1;
  if (objc >= 3 && arg_view(objv[1]) == "-nonewline") ++i;   // one log line either way
  if (objc - i < 1 || objc - i > 2) return puts_usage(interp, objv);
  if (objc - i == 2) {
    const std::string_view channel = arg_view(objv[i]);
    if (channel != "stdout" && channel != "stderr") {
      return command_error(interp, "can not find channel named \"" + std::string(channel) + "\"");
    }
  }
  std::string scratch;
  std::string message(value_bytes(objv[objc - 1], scratch).substr(0, kMaxMessage));
  std::replace_if(message.begin(), message.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (ctx.rule_name != nullptr) {
    log_line(LogLevel::Info, "Rule {} <{}>: {}", *ctx.rule_name, event_name(ctx.event), message);
  } else {
    log_write(LogLevel::Info, message);
  }
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int EncodingCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "subcommand ?arg ...?");
    return TCL_ERROR;
  }
  const std::string_view word = arg_view(objv[1]);
  switch (subcommand_index(word, kEncodingSubcommands)) {
    case 0:
      return convert(interp, objc, objv, false);
    case 1:
      return convert(interp, objc, objv, true);
    case 2:
      if (objc != 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "names");
        return TCL_ERROR;
      }
      Tcl_SetObjResult(interp, Encodings::instance().names(interp));
      return TCL_OK;
    case 3:
      return command_error(interp, "encoding dirs: disabled in iRules (it changes where the process loads encodings from)");
    case 4:
      return command_error(interp, "encoding system: disabled in iRules (it changes the encoding of the whole process)");
    default:
      return unknown_subcommand(interp, word, kEncodingOffered);
  }
}

int HistoryCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const std::string_view word = objc >= 2 ? arg_view(objv[1]) : std::string_view("info");
  const int sub = subcommand_index(word, kHistorySubcommands);
  auto usage = [&](const char* args) {
    Tcl_WrongNumArgs(interp, 1, objv, args);
    return TCL_ERROR;
  };
  Tcl_ResetResult(interp);
  switch (sub) {
    case 0: {   // add event ?exec?: nothing is recorded; with exec the command runs here
      if (objc != 3 && objc != 4) return usage("add event ?exec?");
      if (objc == 3) return TCL_OK;
      const std::string_view exec = arg_view(objv[3]);
      if (exec.empty() || std::string_view("exec").substr(0, exec.size()) != exec) {
        return command_error(interp, "bad argument \"" + std::string(exec) + "\": should be \"exec\"");
      }
      return Tcl_EvalObjEx(interp, objv[2], 0);
    }
    case 1:   // change newValue ?event?
      if (objc != 3 && objc != 4) return usage("change newValue ?event?");
      return no_such_event(interp, objc == 4 ? arg_view(objv[3]) : "-1");
    case 2:
      if (objc != 2) return usage("clear");
      return TCL_OK;
    case 3:   // event ?event?: the latest event of an empty history is empty
      if (objc > 3) return usage("event ?event?");
      if (objc == 3) return no_such_event(interp, arg_view(objv[2]));
      return TCL_OK;
    case 4: {   // info ?count?
      if (objc > 3) return usage("info ?count?");
      int count = 0;
      if (objc == 3 && Tcl_GetIntFromObj(nullptr, objv[2], &count) != TCL_OK) {
        return command_error(interp, "bad integer \"" + std::string(arg_view(objv[2])) + "\"");
      }
      return TCL_OK;
    }
    case 5: {   // keep ?count?: accepted, and the history stays empty
      if (objc > 3) return usage("keep ?count?");
      if (objc == 2) {
        Tcl_SetObjResult(interp, Tcl_NewIntObj(kHistoryKeep));
        return TCL_OK;
      }
      int count = 0;
      if (Tcl_GetIntFromObj(nullptr, objv[2], &count) != TCL_OK || count < 0) {
        return command_error(interp, "illegal keep count \"" + std::string(arg_view(objv[2])) + "\"");
      }
      return TCL_OK;
    }
    case 6:
      if (objc != 2) return usage("nextid");
      Tcl_SetObjResult(interp, Tcl_NewIntObj(1));
      return TCL_OK;
    case 7:   // redo ?event?
      if (objc > 3) return usage("redo ?event?");
      return no_such_event(interp, objc == 3 ? arg_view(objv[2]) : "-1");
    default:
      return unknown_subcommand(interp, word, kHistorySubcommands);
  }
}

}  // namespace irulesd::tclext
