#include "tclext/uri_normalize.h"

#include <cstdint>

namespace irulesd::tclext {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// May appear in a URI as itself: unreserved, gen-delims and sub-delims (RFC 3986 §2).
bool is_allowed(unsigned char c) {
  if (is_unreserved(c)) return true;
  for (char d : std::string_view(":/?#[]@!$&'()*+,;=")) {
    if (c == static_cast<unsigned char>(d)) return true;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `count` hex digits at text[p], or -1.
long hex_at(std::string_view text, std::size_t p, std::size_t count) {
  if (p + count > text.size()) return -1;
  long value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int digit = hex_value(text[p + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// A byte as a URI writes it once normalized: unreserved plainly, anything else as %XX.
void append_byte(std::string& out, unsigned char b) {
  if (is_unreserved(b)) {
    out += static_cast<char>(b);
    return;
  }
  out += '%';
  out += kHexDigits[b >> 4];
  out += kHexDigits[b & 0xF];
}

void append_code_point(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    append_byte(out, static_cast<unsigned char>(cp));
  } else if (cp < 0x800) {
    append_byte(out, static_cast<unsigned char>(0xC0 | (cp >> 6)));
    append_byte(out, static_cast<unsigned char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    append_byte(out, static_cast<unsigned char>(0xE0 | (cp >> 12)));
    append_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F)));
    append_byte(out, static_cast<unsigned char>(0x80 | (cp & 0x3F)));
  } else {
    append_byte(out, static_cast<unsigned char>(0xF0 | (cp >> 18)));
    append_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F)));
    append_byte(out, static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F)));
    append_byte(out, static_cast<unsigned char>(0x80 | (cp & 0x3F)));
  }
}

// %uXXXX at text[p] ('%'): appends the character and returns the length read, or 0 if it is not one.
std::size_t microsoft_escape(std::string_view text, std::size_t p, std::string& out) {
  if (p + 1 >= text.size() || (text[p + 1] != 'u' && text[p + 1] != 'U')) return 0;
  const long unit = hex_at(text, p + 2, 4);
  if (unit < 0) return 0;
  if (unit >= 0xD800 && unit <= 0xDBFF && p + 8 <= text.size() && text[p + 6] == '%' &&
      (text[p + 7] == 'u' || text[p + 7] == 'U')) {
    const long low = hex_at(text, p + 8, 4);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      append_code_point(out, 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                                 (static_cast<uint32_t>(low) - 0xDC00));
      return 12;
    }
  }
  const bool surrogate = unit >= 0xD800 && unit <= 0xDFFF;
  append_code_point(out, surrogate ? 0xFFFD : static_cast<uint32_t>(unit));
  return 6;
}

// RFC 3986 §5.2.3, in one pass: `in` is read from i on, the output only grows or loses its last
// segment.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  auto drop_last_segment = [&out] {
    const std::size_t slash = out.rfind('/');
    out.resize(slash == std::string::npos ? 0 : slash);
  };
  std::size_t i = 0;
  while (i < in.size()) {
    const std::string_view rest = in.substr(i);
    if (rest.substr(0, 3) == "../") {
      i += 3;
    } else if (rest.substr(0, 2) == "./") {
      i += 2;
    } else if (rest.substr(0, 3) == "/./") {
      i += 2;   // the input now starts at the second '/'
    } else if (rest == "/.") {
      out += '/';
      break;
    } else if (rest.substr(0, 4) == "/../") {
      i += 3;
      drop_last_segment();
    } else if (rest == "/..") {
      drop_last_segment();
      out += '/';
      break;
    } else if (rest == "." || rest == "..") {
      break;
    } else {
      const std::size_t next = in.find('/', i + 1);
      const std::size_t stop = next == std::string_view::npos ? in.size() : next;
      out.append(in, i, stop - i);
      i = stop;
    }
  }
  return out;
}

}  // namespace

std::string normalize_uri_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c != '%') {
      if (is_allowed(c)) {
        out += static_cast<char>(c);
      } else {
        append_byte(out, c);
      }
      ++i;
      continue;
    }
    if (const std::size_t used = microsoft_escape(text, i, out)) {
      i += used;
      continue;
    }
    const long byte = hex_at(text, i + 1, 2);
    if (byte >= 0) {
      append_byte(out, static_cast<unsigned char>(byte));
      i += 3;
    } else {
      out += "%25";   // a '%' that starts no escape is itself a byte to encode
      ++i;
    }
  }
  return out;
}

std::string normalize_uri_path(std::string_view path) { return remove_dot_segments(normalize_uri_escapes(path)); }

std::string normalize_request_target(std::string_view uri) {
  const std::size_t mark = uri.find('?');
  std::string_view target = uri.substr(0, mark);
  std::string out;
  out.reserve(uri.size());
  if (target.empty() || target[0] != '/') {
    // Absolute form: scheme://authority stays as written, its path is a path.
    const std::size_t scheme = target.find("://");
    const std::size_t slash = scheme == std::string_view::npos ? std::string_view::npos : target.find('/', scheme + 3);
    if (scheme != std::string_view::npos) {
      const std::size_t authority_end = slash == std::string_view::npos ? target.size() : slash;
      out.append(target, 0, authority_end);
      target.remove_prefix(authority_end);
    }
  }
  out += target.empty() || target[0] != '/' ? normalize_uri_escapes(target) : normalize_uri_path(target);
  if (mark != std::string_view::npos) {
    out += '?';
    out += normalize_uri_escapes(uri.substr(mark + 1));
  }
  return out;
}

}  // namespace irulesd::tclext
