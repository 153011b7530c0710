#include "tclext/cookie_header.h"

#include <strings.h>

#include <vector>

namespace irulesd::tclext::cookie {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string spliced(std::string_view text, std::size_t begin, std::size_t end, std::string_view with) {
  std::string out;
  out.reserve(text.size() - (end - begin) + with.size());
  out.append(text.substr(0, begin)).append(with).append(text.substr(end));
  return out;
}

std::string attribute_text(std::string_view name, std::optional<std::string_view> value) {
  std::string out(name);
  if (value) out.append("=").append(*value);
  return out;
}

}  // namespace

PieceScanner::PieceScanner(std::string_view text, std::size_t from, std::size_t to)
    : text_(text), pos_(from), stop_(to < text.size() ? to : text.size()) {}

bool PieceScanner::next(Piece& out) {
  while (pos_ < stop_) {
    std::size_t semi = text_.find(';', pos_);
    if (semi == std::string_view::npos || semi > stop_) semi = stop_;
    std::size_t b = pos_;
    std::size_t e = semi;
    pos_ = semi + 1;
    while (b < e && is_space(text_[b])) ++b;
    while (e > b && is_space(text_[e - 1])) --e;
    if (b == e) continue;
    out.begin = b;
    out.end = e;
    const std::size_t eq = text_.find('=', b);
    if (eq != std::string_view::npos && eq < e) {
      std::size_t name_end = eq;
      while (name_end > b && is_space(text_[name_end - 1])) --name_end;
      std::size_t vb = eq + 1;
      while (vb < e && is_space(text_[vb])) ++vb;
      out.name = text_.substr(b, name_end - b);
      out.value = text_.substr(vb, e - vb);
      out.value_begin = vb;
      out.has_value = true;
    } else {
      out.name = text_.substr(b, e - b);
      out.value = {};
      out.value_begin = e;
      out.has_value = false;
    }
    return true;
  }
  return false;
}

bool is_cookie_header(std::string_view header_name, Side side) {
  if (side == Side::Request) return header_name_equals(header_name, "Cookie");
  return header_name_equals(header_name, "Set-Cookie") || header_name_equals(header_name, "Set-Cookie2");
}

std::optional<Cookie> cookie_in(std::string_view text, Side side, std::size_t ordinal) {
  std::optional<Cookie> found;
  for_each_cookie_in(text, side, [&](const Cookie& c) {
    if (c.ordinal != ordinal) return false;
    found = c;
    return true;
  });
  return found;
}

std::optional<Cookie> find_cookie(const HeaderList& headers, Side side, std::string_view name) {
  std::optional<Cookie> out;
  for_each_cookie(headers, side, [&](const Cookie& c) {
    if (c.pair.name != name) return false;
    out = c;
    return true;
  });
  return out;
}

std::optional<Piece> find_attribute(std::string_view text, const Cookie& c, std::string_view name) {
  PieceScanner scan(text, c.pair.end, c.end);
  for (Piece p; scan.next(p);) {
    if (iequals(p.name, name)) return p;
  }
  return std::nullopt;
}

std::string_view unquoted(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') return value.substr(1, value.size() - 2);
  return value;
}

std::string with_value(std::string_view text, const Cookie& c, std::string_view value) {
  if (!c.pair.has_value) return spliced(text, c.pair.end, c.pair.end, std::string("=").append(value));
  return spliced(text, c.pair.value_begin, c.pair.end, value);
}

std::string with_attribute(std::string_view text, const Cookie& c, std::string_view name,
                           std::optional<std::string_view> value) {
  if (std::optional<Piece> p = find_attribute(text, c, name)) {
    return spliced(text, p->begin, p->end, attribute_text(p->name, value));
  }
  return with_new_attribute(text, c, name, value);
}

std::string with_new_attribute(std::string_view text, const Cookie& c, std::string_view name,
                               std::optional<std::string_view> value) {
  return spliced(text, c.end, c.end, "; " + attribute_text(name, value));
}

std::string with_request_version(std::string_view text, const Cookie& c, std::string_view version) {
  if (c.version) {
    const Piece& v = *c.version;
    if (!v.has_value) return spliced(text, v.end, v.end, std::string("=").append(version));
    return spliced(text, v.value_begin, v.end, version);
  }
  return spliced(text, c.pair.begin, c.pair.begin, "$Version=" + std::string(version) + "; ");
}

std::string without_cookie(std::string_view text, const Cookie& c) {
  // With a piece before it, the separator before the cookie goes with it; as the first piece, the
  // separator after it does.
  std::size_t before_end = std::string_view::npos;
  {
    PieceScanner scan(text, 0, c.pair.begin);
    for (Piece p; scan.next(p);) before_end = p.end;
  }
  if (before_end != std::string_view::npos) return spliced(text, before_end, c.end, "");
  PieceScanner after(text, c.end);
  Piece next;
  if (after.next(next)) return spliced(text, c.pair.begin, next.begin, "");
  return spliced(text, c.pair.begin, c.end, "");
}

void set_header_at(HeaderList& headers, std::size_t index, std::string_view name, std::string_view value) {
  headers.set_at(index, name, value);
}

void remove_header_at(HeaderList& headers, std::size_t index) { headers.remove_at(index); }

}  // namespace irulesd::tclext::cookie
