// The cookie syntax HTTP::cookie reads and edits, in place in the header list: a request's Cookie
// headers ("a=1; b=2", RFC 6265, with RFC 2965's "$Version", "$Path", "$Domain", "$Port") and a
// response's Set-Cookie / Set-Cookie2 headers (one cookie each: "a=1; Path=/; Secure"). Reads walk
// the header values without copying; an edit splices one header value and leaves every other byte
// of the message as it came.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/header_list.h"

namespace irulesd::tclext::cookie {

enum class Side { Request, Response };

// One ';'-separated part of a cookie header value, spaces and tabs around it trimmed.
struct Piece {
  std::size_t begin = 0;        // first byte in the header value
  std::size_t end = 0;          // one past the last byte
  std::size_t value_begin = 0;  // first byte of the value (== end when it is empty)
  std::string_view name;
  std::string_view value;
  bool has_value = false;       // an '=' follows the name ("Secure" has none)
};

// The pieces of text[from, to), empty ones skipped.
class PieceScanner {
 public:
  explicit PieceScanner(std::string_view text, std::size_t from = 0, std::size_t to = std::string_view::npos);
  bool next(Piece& out);

 private:
  std::string_view text_;
  std::size_t pos_;
  std::size_t stop_;
};

// One cookie where it stands: its header, its NAME=VALUE piece and the extent of its attributes.
struct Cookie {
  std::size_t header = 0;         // index in HeaderList::items()
  std::size_t ordinal = 0;        // which cookie of that header (a request header carries several)
  Piece pair;
  std::size_t end = 0;            // end of its last attribute (pair.end without attributes)
  std::optional<Piece> version;   // request: the "$Version" before it in its header
};

bool is_cookie_header(std::string_view header_name, Side side);

// Calls visit(const Cookie&) for each cookie of one header value in order (header index 0) until it
// returns true; one pass over the text. Returns whether visit stopped it.
template <class Visit>
bool for_each_cookie_in(std::string_view text, Side side, Visit&& visit) {
  PieceScanner scan(text);
  Piece p;
  if (side == Side::Response) {
    // One cookie per header: the first piece; every later piece is one of its attributes.
    if (!scan.next(p)) return false;
    Cookie c;
    c.pair = p;
    c.end = p.end;
    while (scan.next(p)) c.end = p.end;
    return visit(static_cast<const Cookie&>(c));
  }
  // Request: "$" pieces belong to the cookie before them, except "$Version", which sets the version
  // of the cookies after it.
  std::optional<Piece> version;
  std::optional<Cookie> current;
  std::size_t count = 0;
  while (scan.next(p)) {
    const bool dollar = !p.name.empty() && p.name.front() == '$';
    if (dollar && !header_name_equals(p.name, "$Version")) {
      if (current) current->end = p.end;
      continue;
    }
    if (current && visit(static_cast<const Cookie&>(*current))) return true;
    current.reset();
    if (dollar) {
      version = p;
      continue;
    }
    current.emplace();
    current->ordinal = count++;
    current->pair = p;
    current->end = p.end;
    current->version = version;
  }
  return current && visit(static_cast<const Cookie&>(*current));
}

// Cookie number `ordinal` of one header value (a response header holds only number 0).
std::optional<Cookie> cookie_in(std::string_view text, Side side, std::size_t ordinal);

// Calls visit(const Cookie&) for every cookie of the message in order until it returns true.
template <class Visit>
bool for_each_cookie(const HeaderList& headers, Side side, Visit&& visit) {
  const auto& items = headers.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!is_cookie_header(items[i].name, side)) continue;
    const bool stopped = for_each_cookie_in(items[i].value, side, [&](const Cookie& c) {
      Cookie located = c;
      located.header = i;
      return visit(static_cast<const Cookie&>(located));
    });
    if (stopped) return true;
  }
  return false;
}

// The first cookie named `name` (names compare case-sensitively, as RFC 6265 has it).
std::optional<Cookie> find_cookie(const HeaderList& headers, Side side, std::string_view name);

// Calls visit(const Piece&) for each attribute of the cookie (in a request: its "$" pieces).
template <class Visit>
void for_each_attribute(std::string_view text, const Cookie& c, Visit&& visit) {
  PieceScanner scan(text, c.pair.end, c.end);
  for (Piece p; scan.next(p);) visit(p);
}

// The first attribute named `name`, compared case-insensitively.
std::optional<Piece> find_attribute(std::string_view text, const Cookie& c, std::string_view name);

// A value without the double quotes RFC 2965 puts around it.
std::string_view unquoted(std::string_view value);

// Edits of one header value; each returns the new value.
std::string with_value(std::string_view text, const Cookie& c, std::string_view value);
// Sets the first attribute named `name` (keeping its spelling) or appends "; name=value"; a flag
// attribute (no value) is written without '='.
std::string with_attribute(std::string_view text, const Cookie& c, std::string_view name,
                           std::optional<std::string_view> value);
// Appends "; name[=value]" whether or not the attribute is there.
std::string with_new_attribute(std::string_view text, const Cookie& c, std::string_view name,
                               std::optional<std::string_view> value);
// Removes the attributes `drop` says yes to, with their separators.
template <class Drop>
std::string without_attributes(std::string_view text, const Cookie& c, Drop&& drop);
// Request: sets the "$Version" before the cookie, or puts one there.
std::string with_request_version(std::string_view text, const Cookie& c, std::string_view version);
// Request: removes the cookie and its attributes with their separators.
std::string without_cookie(std::string_view text, const Cookie& c);

// HeaderList has no edit by position: these rebuild the list in order (edits are rare; reads are
// not). They are the HeaderList operations HTTP::cookie needs, kept here as free helpers.
void set_header_at(HeaderList& headers, std::size_t index, std::string_view name, std::string_view value);
void remove_header_at(HeaderList& headers, std::size_t index);

// ---- template definitions ----

template <class Drop>
std::string without_attributes(std::string_view text, const Cookie& c, Drop&& drop) {
  // A dropped piece goes with the separator before it: [end of the piece before it, its end).
  std::string out;
  std::size_t copied_until = 0;
  std::size_t last_end = c.pair.end;
  for_each_attribute(text, c, [&](const Piece& p) {
    if (drop(p)) {
      out.append(text.substr(copied_until, last_end - copied_until));
      copied_until = p.end;
    }
    last_end = p.end;
  });
  out.append(text.substr(copied_until));
  return out;
}

}  // namespace irulesd::tclext::cookie
