// HTTP::cookie: read and edit the cookies of the request (Cookie headers, in HTTP_REQUEST and the
// request events after it) and of the response (Set-Cookie / Set-Cookie2, in HTTP_RESPONSE and after),
// with clouddocs.f5.com/api/irules/HTTP__cookie.html's subcommands (encrypt/decrypt in irulesd's own
// format: cookie_crypt.h). The syntax lives in
// cookie_header.h; this file maps the subcommands onto it.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/cookie_crypt.h"
#include "tclext/cookie_date.h"
#include "tclext/cookie_header.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

using cookie::Cookie;
using cookie::Piece;
using cookie::Side;

// What one call acts on.
struct Jar {
  HeaderList* headers = nullptr;
  Side side = Side::Request;
  bool response() const { return side == Side::Response; }
};

bool current_jar(FireContext& ctx, Tcl_Interp* interp, Jar& jar) {
  if (ctx.tx->has_responded) {
    command_error(interp, "HTTP::cookie: illegal after HTTP::respond or HTTP::redirect in this request");
    return false;
  }
  const unsigned bit = event_bit(ctx.event);
  if ((bit & kResponseEvents) != 0 && ctx.tx->response != nullptr) {
    jar = Jar{&ctx.tx->response->headers, Side::Response};
    return true;
  }
  if ((bit & kRequestEvents) != 0 && ctx.tx->request != nullptr) {
    jar = Jar{&ctx.tx->request->headers, Side::Request};
    return true;
  }
  command_error(interp, std::string("no HTTP message in event ") + event_name(ctx.event));
  return false;
}

int wrong_args(Tcl_Interp* interp, Tcl_Obj* const objv[], const char* usage) {
  Tcl_WrongNumArgs(interp, 2, objv, usage);
  return TCL_ERROR;
}

// Cookie text that a rule supplies may not end the header (CR, LF, NUL) nor start another cookie or
// attribute (';').
bool text_ok(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0;", 4)) == s.npos; }

int text_error(Tcl_Interp* interp, std::string_view what, std::string_view name) {
  return command_error(interp, "HTTP::cookie: " + std::string(what) + " of cookie \"" + std::string(name) +
                                   "\" contains CR, LF, NUL or \";\"");
}

std::string header_text(const Jar& jar, const Cookie& c) { return std::string(jar.headers->items()[c.header].value); }

// Replaces the header holding `c` by `text`; a request header left without a cookie goes.
void commit(const Jar& jar, const Cookie& c, const std::string& text) {
  if (!jar.response() && !cookie::cookie_in(text, Side::Request, 0)) {
    cookie::remove_header_at(*jar.headers, c.header);
    return;
  }
  cookie::set_header_at(*jar.headers, c.header, jar.headers->items()[c.header].name, text);
}

void set_string(Tcl_Interp* interp, std::string_view s) { Tcl_SetObjResult(interp, new_text_obj(s)); }

// ---- the attributes every cookie version names ----

// An attribute subcommand: its name in Set-Cookie, and in a request's Cookie header (nullptr when a
// request cookie cannot carry it).
struct AttributeSpec {
  const char* subcommand;
  const char* response_name;
  const char* request_name;
  const char* usage;
};

constexpr AttributeSpec kPath{"path", "Path", "$Path", "name ?path?"};
constexpr AttributeSpec kDomain{"domain", "Domain", "$Domain", "name ?domain?"};
constexpr AttributeSpec kPorts{"ports", "Port", "$Port", "name ?portlist?"};
constexpr AttributeSpec kComment{"comment", "Comment", nullptr, "name ?comment?"};
constexpr AttributeSpec kCommentUrl{"commenturl", "CommentURL", nullptr, "name ?commenturl?"};
constexpr AttributeSpec kMaxAge{"maxage", "Max-Age", nullptr, "name ?seconds?"};
constexpr AttributeSpec kExpires{"expires", "Expires", nullptr, "name ?seconds? ?absolute|relative?"};
constexpr AttributeSpec kSecure{"secure", "Secure", nullptr, "name ?enable|disable?"};
constexpr AttributeSpec kHttpOnly{"httponly", "HttpOnly", nullptr, "name ?enable|disable?"};

const char* attribute_name(const AttributeSpec& spec, const Jar& jar) {
  return jar.response() ? spec.response_name : spec.request_name;
}

int request_has_none(Tcl_Interp* interp, const AttributeSpec& spec) {
  return command_error(interp, std::string("HTTP::cookie ") + spec.subcommand + ": a request cookie has no " +
                                   spec.subcommand + " attribute (only Set-Cookie does)");
}

// The attribute's value as the getters give it: unquoted, empty when absent.
std::string_view attribute_value(const Jar& jar, const Cookie& c, const char* name) {
  if (name == nullptr) return {};
  const std::string_view text = jar.headers->items()[c.header].value;
  std::optional<Piece> p = cookie::find_attribute(text, c, name);
  return p ? cookie::unquoted(p->value) : std::string_view();
}

int set_attribute(const Jar& jar, const Cookie& c, const char* name, std::optional<std::string_view> value) {
  commit(jar, c, cookie::with_attribute(header_text(jar, c), c, name, value));
  return TCL_OK;
}

int remove_attribute(const Jar& jar, const Cookie& c, std::string_view name) {
  const std::string text = header_text(jar, c);
  commit(jar, c, cookie::without_attributes(text, c, [&](const Piece& p) {
           return header_name_equals(p.name, name);
         }));
  return TCL_OK;
}

// path, domain, ports, comment, commenturl: text attributes, read or set.
int text_attribute(const AttributeSpec& spec, const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, objv, spec.usage);
  const std::string_view name = arg_view(objv[2]);
  const char* attr = attribute_name(spec, jar);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == 3) {
    set_string(interp, c ? attribute_value(jar, *c, attr) : std::string_view());
    return TCL_OK;
  }
  if (attr == nullptr) return request_has_none(interp, spec);
  std::string scratch;
  const std::string_view value = value_bytes(objv[3], scratch);
  if (!text_ok(value)) return text_error(interp, spec.subcommand, name);
  Tcl_ResetResult(interp);
  return c ? set_attribute(jar, *c, attr, value) : TCL_OK;   // F5: only an existing cookie is set
}

int PathSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return text_attribute(kPath, jar, interp, objc, objv);
}
int DomainSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return text_attribute(kDomain, jar, interp, objc, objv);
}
int PortsSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return text_attribute(kPorts, jar, interp, objc, objv);
}
int CommentSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return text_attribute(kComment, jar, interp, objc, objv);
}
int CommentUrlSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return text_attribute(kCommentUrl, jar, interp, objc, objv);
}

// secure, httponly: flags, read as enable|disable and set the same way.
int flag_attribute(const AttributeSpec& spec, const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, objv, spec.usage);
  const std::string_view name = arg_view(objv[2]);
  const char* attr = attribute_name(spec, jar);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == 3) {
    const bool on = c && attr != nullptr &&
                    cookie::find_attribute(jar.headers->items()[c->header].value, *c, attr).has_value();
    set_string(interp, on ? "enable" : "disable");
    return TCL_OK;
  }
  static const char* const kModes[] = {"enable", "disable", nullptr};
  int mode = 0;
  if (Tcl_GetIndexFromObj(interp, objv[3], kModes, "option", 0, &mode) != TCL_OK) return TCL_ERROR;
  if (attr == nullptr) return request_has_none(interp, spec);
  Tcl_ResetResult(interp);
  if (!c) return TCL_OK;
  if (mode == 1) return remove_attribute(jar, *c, attr);
  return set_attribute(jar, *c, attr, std::nullopt);
}

int SecureSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return flag_attribute(kSecure, jar, interp, objc, objv);
}
int HttpOnlySub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return flag_attribute(kHttpOnly, jar, interp, objc, objv);
}

int MaxAgeSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, objv, kMaxAge.usage);
  const std::string_view name = arg_view(objv[2]);
  const char* attr = attribute_name(kMaxAge, jar);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == 3) {
    set_string(interp, c ? attribute_value(jar, *c, attr) : std::string_view());
    return TCL_OK;
  }
  Tcl_WideInt seconds = 0;
  if (Tcl_GetWideIntFromObj(interp, objv[3], &seconds) != TCL_OK) return TCL_ERROR;
  if (attr == nullptr) return request_has_none(interp, kMaxAge);
  Tcl_ResetResult(interp);
  return c ? set_attribute(jar, *c, attr, std::to_string(seconds)) : TCL_OK;
}

// expires: read as seconds since the epoch (empty without a readable Expires); set from seconds,
// relative to now (the default) or absolute.
int ExpiresSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 3 || objc > 5) return wrong_args(interp, objv, kExpires.usage);
  const std::string_view name = arg_view(objv[2]);
  const char* attr = attribute_name(kExpires, jar);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == 3) {
    std::optional<int64_t> when;
    if (c && attr != nullptr) {
      std::optional<Piece> p = cookie::find_attribute(jar.headers->items()[c->header].value, *c, attr);
      if (p) when = parse_cookie_date(cookie::unquoted(p->value));
    }
    if (when) {
      Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(*when)));
    } else {
      Tcl_ResetResult(interp);
    }
    return TCL_OK;
  }
  Tcl_WideInt seconds = 0;
  if (Tcl_GetWideIntFromObj(interp, objv[3], &seconds) != TCL_OK) return TCL_ERROR;
  static const char* const kModes[] = {"absolute", "relative", nullptr};
  int mode = 1;
  if (objc == 5 && Tcl_GetIndexFromObj(interp, objv[4], kModes, "option", 0, &mode) != TCL_OK) return TCL_ERROR;
  if (attr == nullptr) return request_has_none(interp, kExpires);
  Tcl_ResetResult(interp);
  if (!c) return TCL_OK;
  const int64_t when = mode == 0 ? seconds : static_cast<int64_t>(std::time(nullptr)) + seconds;
  return set_attribute(jar, *c, attr, format_cookie_date(when));
}

int bad_version(Tcl_Interp* interp, std::string_view version) {
  return command_error(interp, "HTTP::cookie version: bad version \"" + std::string(version) + "\": must be 0, 1 or 2");
}

// version: 0 (no version), 1 (Version=1 / $Version=1) or 2 (a Set-Cookie2 header).
int VersionSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, objv, "name ?version?");
  const std::string_view name = arg_view(objv[2]);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == 3) {
    std::string_view version;
    if (c && jar.response()) {
      if (header_name_equals(jar.headers->items()[c->header].name, "Set-Cookie2")) {
        version = "2";
      } else {
        version = attribute_value(jar, *c, "Version");
      }
    } else if (c && c->version) {
      version = cookie::unquoted(c->version->value);
    }
    set_string(interp, version.empty() ? std::string_view("0") : version);
    return TCL_OK;
  }
  const std::string_view wanted = arg_view(objv[3]);
  if (wanted != "0" && wanted != "1" && wanted != "2") {
    return bad_version(interp, wanted);
  }
  Tcl_ResetResult(interp);
  if (!c) return TCL_OK;
  const std::string text = header_text(jar, *c);
  if (!jar.response()) {
    commit(jar, *c, cookie::with_request_version(text, *c, wanted));
    return TCL_OK;
  }
  // Version 2 cookies travel in Set-Cookie2 (RFC 2965), which carries Version=1.
  std::string updated = wanted == "0" ? cookie::without_attributes(text, *c, [](const Piece& p) {
    return header_name_equals(p.name, "Version");
  })
                                      : cookie::with_attribute(text, *c, "Version", std::string_view("1"));
  cookie::set_header_at(*jar.headers, c->header, wanted == "2" ? "Set-Cookie2" : "Set-Cookie", updated);
  return TCL_OK;
}

// ---- the cookies themselves ----

int NamesSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) return wrong_args(interp, objv, nullptr);
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  cookie::for_each_cookie(*jar.headers, jar.side, [&](const Cookie& c) {
    Tcl_ListObjAppendElement(nullptr, list, new_text_obj(c.pair.name));
    return false;
  });
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

int CountSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) return wrong_args(interp, objv, nullptr);
  Tcl_WideInt n = 0;
  cookie::for_each_cookie(*jar.headers, jar.side, [&](const Cookie&) {
    ++n;
    return false;
  });
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(n));
  return TCL_OK;
}

int ExistsSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) return wrong_args(interp, objv, "name");
  const bool found = cookie::find_cookie(*jar.headers, jar.side, arg_view(objv[2])).has_value();
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(found));
  return TCL_OK;
}

// value NAME ?STRING?, and the bare "HTTP::cookie NAME ?STRING?" (objv[first] is the name).
int value_of(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], int first) {
  const std::string_view name = arg_view(objv[first]);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (objc == first + 1) {
    set_string(interp, c ? c->pair.value : std::string_view());
    return TCL_OK;
  }
  std::string scratch;
  const std::string_view value = value_bytes(objv[first + 1], scratch);
  if (!text_ok(value)) return text_error(interp, "value", name);
  Tcl_ResetResult(interp);
  if (c) commit(jar, *c, cookie::with_value(header_text(jar, *c), *c, value));   // only an existing cookie
  return TCL_OK;
}

int ValueSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3 && objc != 4) return wrong_args(interp, objv, "name ?string?");
  return value_of(jar, interp, objc, objv, 2);
}

// Removes every cookie named `name`; false when there was none.
bool remove_cookie(const Jar& jar, std::string_view name) {
  bool any = false;
  while (std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name)) {
    any = true;
    if (jar.response()) {
      cookie::remove_header_at(*jar.headers, c->header);
    } else {
      commit(jar, *c, cookie::without_cookie(header_text(jar, *c), *c));
    }
  }
  return any;
}

int RemoveSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) return wrong_args(interp, objv, "name");
  remove_cookie(jar, arg_view(objv[2]));
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr const char* kInsertUsage = "name name value value ?path path? ?domain domain? ?version 0|1|2?";

// insert name N value V ?path P? ?domain D? ?version 0|1|2?: a new cookie, after the others. In a
// request it joins the last Cookie header ("a=1; N=V"); in a response it is a Set-Cookie header of
// its own (Set-Cookie2 for version 2).
int InsertSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 6 || objc % 2 != 0) return wrong_args(interp, objv, kInsertUsage);
  static const char* const kKeys[] = {"name", "value", "path", "domain", "version", nullptr};
  std::string fields[5];
  bool given[5] = {};
  for (int i = 2; i < objc; i += 2) {
    int key = 0;
    if (Tcl_GetIndexFromObj(interp, objv[i], kKeys, "option", TCL_EXACT, &key) != TCL_OK) return TCL_ERROR;
    std::string scratch;
    fields[key].assign(value_bytes(objv[i + 1], scratch));
    given[key] = true;
  }
  if (!given[0] || !given[1]) return wrong_args(interp, objv, kInsertUsage);
  const std::string& name = fields[0];
  if (!is_header_token(name)) return command_error(interp, "HTTP::cookie: invalid cookie name \"" + name + "\"");
  static const char* const kWhat[] = {"name", "value", "path", "domain", "version"};
  for (int k = 1; k < 4; ++k) {
    if (!text_ok(fields[k])) return text_error(interp, kWhat[k], name);
  }
  std::string_view version = given[4] ? std::string_view(fields[4]) : std::string_view("0");
  if (version != "0" && version != "1" && version != "2") {
    return bad_version(interp, version);
  }
  Tcl_ResetResult(interp);
  std::string text;
  if (jar.response()) {
    text = name + "=" + fields[1];
    if (version != "0") text.append("; Version=1");
    if (given[2]) text.append("; Path=").append(fields[2]);
    if (given[3]) text.append("; Domain=").append(fields[3]);
    jar.headers->add(version == "2" ? "Set-Cookie2" : "Set-Cookie", text);
    return TCL_OK;
  }
  if (version != "0") text.append("$Version=").append(version).append("; ");
  text.append(name).append("=").append(fields[1]);
  if (given[2]) text.append("; $Path=").append(fields[2]);
  if (given[3]) text.append("; $Domain=").append(fields[3]);
  const auto& items = jar.headers->items();
  for (std::size_t i = items.size(); i-- > 0;) {
    if (!header_name_equals(items[i].name, "Cookie")) continue;
    std::string joined(items[i].value);
    if (joined.find_first_not_of(" \t") != std::string::npos) joined.append("; ");
    joined.append(text);
    cookie::set_header_at(*jar.headers, i, items[i].name, joined);
    return TCL_OK;
  }
  jar.headers->add("Cookie", text);
  return TCL_OK;
}

// The name an attribute is listed under by sanitize: without the "$" of a request attribute.
std::string_view bare(std::string_view attribute) {
  return !attribute.empty() && attribute.front() == '$' ? attribute.substr(1) : attribute;
}

bool listed(std::string_view attribute, Tcl_Obj* const words[], int n) {
  for (int i = 0; i < n; ++i) {
    if (header_name_equals(bare(attribute), bare(arg_view(words[i])))) return true;
  }
  return false;
}

// Drops the attributes of one cookie that are not in words[0, n).
void keep_attributes(const Jar& jar, const Cookie& c, Tcl_Obj* const words[], int n) {
  const std::string text = header_text(jar, c);
  std::string updated = cookie::without_attributes(text, c, [&](const Piece& p) { return !listed(p.name, words, n); });
  if (updated != text) commit(jar, c, updated);
}

// sanitize NAME ?ATTRIBUTE ...?: that cookie keeps only the attributes listed.
// sanitize -attributes ?ATTRIBUTE ...?: every cookie keeps only the attributes listed.
// sanitize -names ?NAME ...?: only the cookies listed stay.
int SanitizeSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 3) return wrong_args(interp, objv, "name|-attributes|-names ?attribute|name ...?");
  const std::string_view first = arg_view(objv[2]);
  Tcl_Obj* const* words = objv + 3;
  const int n = objc - 3;
  Tcl_ResetResult(interp);
  if (first == "-names") {
    for (;;) {
      std::optional<std::string> doomed;
      cookie::for_each_cookie(*jar.headers, jar.side, [&](const Cookie& c) {
        for (int i = 0; i < n; ++i) {
          if (arg_view(words[i]) == c.pair.name) return false;
        }
        doomed.emplace(c.pair.name);
        return true;
      });
      if (!doomed) return TCL_OK;
      remove_cookie(jar, *doomed);
    }
  }
  if (first == "-attributes") {
    // Attribute edits keep every header and every cookie in place: walk them by position.
    for (std::size_t i = 0; i < jar.headers->size(); ++i) {
      if (!cookie::is_cookie_header(jar.headers->items()[i].name, jar.side)) continue;
      for (std::size_t ordinal = 0;; ++ordinal) {
        std::optional<Cookie> c = cookie::cookie_in(jar.headers->items()[i].value, jar.side, ordinal);
        if (!c) break;
        c->header = i;
        keep_attributes(jar, *c, words, n);
      }
    }
    return TCL_OK;
  }
  if (std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, first)) keep_attributes(jar, *c, words, n);
  return TCL_OK;
}

// attribute NAME names | count | exists ATTR | value ATTR | insert ATTR ?VALUE? | remove ATTR (v12):
// any attribute by its own name, as written ("$Path" in a request).
int AttributeSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  constexpr const char* kUsage =
      "name names|count|exists attribute|value attribute|insert attribute ?value?|remove attribute";
  if (objc < 4) return wrong_args(interp, objv, kUsage);
  static const char* const kOps[] = {"names", "count", "exists", "value", "insert", "remove", nullptr};
  int op = 0;
  if (Tcl_GetIndexFromObj(interp, objv[3], kOps, "subcommand", 0, &op) != TCL_OK) return TCL_ERROR;
  const int want_min = op <= 1 ? 4 : 5;
  const int want_max = op == 4 ? 6 : want_min;
  if (objc < want_min || objc > want_max) {
    static const char* const kOpUsage[] = {"name names", "name count", "name exists attribute",
                                           "name value attribute", "name insert attribute ?value?",
                                           "name remove attribute"};
    return wrong_args(interp, objv, kOpUsage[op]);
  }
  const std::string_view name = arg_view(objv[2]);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  const std::string_view text = c ? std::string_view(jar.headers->items()[c->header].value) : std::string_view();
  switch (op) {
    case 0: {
      Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
      if (c) {
        cookie::for_each_attribute(text, *c, [&](const Piece& p) {
          Tcl_ListObjAppendElement(nullptr, list, new_text_obj(p.name));
        });
      }
      Tcl_SetObjResult(interp, list);
      return TCL_OK;
    }
    case 1: {
      Tcl_WideInt n = 0;
      if (c) cookie::for_each_attribute(text, *c, [&](const Piece&) { ++n; });
      Tcl_SetObjResult(interp, Tcl_NewWideIntObj(n));
      return TCL_OK;
    }
    case 2:
      Tcl_SetObjResult(interp, Tcl_NewBooleanObj(c && cookie::find_attribute(text, *c, arg_view(objv[4]))));
      return TCL_OK;
    case 3: {
      std::optional<Piece> p = c ? cookie::find_attribute(text, *c, arg_view(objv[4])) : std::nullopt;
      set_string(interp, p ? p->value : std::string_view());
      return TCL_OK;
    }
    case 4: {
      const std::string attr(arg_view(objv[4]));
      if (!is_header_token(attr)) return command_error(interp, "HTTP::cookie: invalid attribute name \"" + attr + "\"");
      std::string scratch;
      std::optional<std::string_view> value;
      if (objc == 6) value = value_bytes(objv[5], scratch);
      if (value && !text_ok(*value)) return text_error(interp, "attribute " + attr, name);
      Tcl_ResetResult(interp);
      if (c) commit(jar, *c, cookie::with_new_attribute(text, *c, attr, value));
      return TCL_OK;
    }
    default:
      Tcl_ResetResult(interp);
      return c ? remove_attribute(jar, *c, arg_view(objv[4])) : TCL_OK;
  }
}

// encrypt NAME PASSPHRASE ?128|192|256? / decrypt ...: the cookie's value, sealed or opened in
// place (cookie_crypt.h: irulesd's own format); the result is the new value. A value that does not
// open under the pass phrase (changed, or not sealed by irulesd) stays as it is and the result is
// empty.
int CryptSub(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 4 && objc != 5) return wrong_args(interp, objv, "name passphrase ?128|192|256?");
  const bool encrypt = arg_view(objv[1]) == "encrypt";
  int bits = 128;
  if (objc == 5) {
    const std::string_view length = arg_view(objv[4]);
    if (length != "128" && length != "192" && length != "256") {
      return command_error(interp, "HTTP::cookie " + std::string(arg_view(objv[1])) + ": bad key length \"" +
                                       std::string(length) + "\": must be 128, 192 or 256");
    }
    bits = length == "128" ? 128 : length == "192" ? 192 : 256;
  }
  const std::string_view name = arg_view(objv[2]);
  std::string scratch;
  const std::string_view passphrase = value_bytes(objv[3], scratch);
  Tcl_ResetResult(interp);
  std::optional<Cookie> c = cookie::find_cookie(*jar.headers, jar.side, name);
  if (!c) return TCL_OK;
  const std::optional<std::string> value = encrypt ? encrypt_cookie_value(c->pair.value, passphrase, bits)
                                                   : decrypt_cookie_value(c->pair.value, passphrase, bits);
  if (!value || (encrypt && value->empty())) return TCL_OK;   // a sealed value is never empty
  if (!encrypt && !text_ok(*value)) return TCL_OK;
  commit(jar, *c, cookie::with_value(header_text(jar, *c), *c, *value));
  set_string(interp, *value);
  return TCL_OK;
}

using SubProc = int (*)(const Jar& jar, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);

struct Subcommand {
  std::string_view name;
  SubProc proc;
};

constexpr Subcommand kSubcommands[] = {
    {"names", NamesSub},         {"count", CountSub},         {"value", ValueSub},     {"version", VersionSub},
    {"path", PathSub},           {"domain", DomainSub},       {"ports", PortsSub},     {"insert", InsertSub},
    {"remove", RemoveSub},       {"sanitize", SanitizeSub},   {"exists", ExistsSub},   {"maxage", MaxAgeSub},
    {"expires", ExpiresSub},     {"comment", CommentSub},     {"secure", SecureSub},   {"commenturl", CommentUrlSub},
    {"httponly", HttpOnlySub},   {"attribute", AttributeSub}, {"encrypt", CryptSub},   {"decrypt", CryptSub},
};

int HttpCookieCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?value? name ?string? | subcommand ?arg ...?");
    return TCL_ERROR;
  }
  Jar jar;
  if (!current_jar(ctx, interp, jar)) return TCL_ERROR;
  const std::string_view sub = arg_view(objv[1]);
  for (const Subcommand& s : kSubcommands) {
    if (s.name == sub) return s.proc(jar, interp, objc, objv);
  }
  // "HTTP::cookie NAME ?STRING?": the value, when NAME is not a subcommand.
  if (objc > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "?value? name ?string?");
    return TCL_ERROR;
  }
  return value_of(jar, interp, objc, objv, 1);
}

constexpr CommandSpec kHttpCookieCommands[] = {
    {"HTTP::cookie", kHttpEvents, HttpCookieCmd},
};

}  // namespace

std::span<const CommandSpec> http_cookie_commands() { return kHttpCookieCommands; }

}  // namespace irulesd::tclext
