#include "tclext/cookie_date.h"

#include <strings.h>
#include <time.h>

#include <cstdio>

namespace irulesd::tclext {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// RFC 6265 delimiter: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E
bool is_delimiter(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// 1*max DIGITs (at least `min`) at the start of s, followed by a non-digit or the end; npos if not.
std::size_t leading_digits(std::string_view s, std::size_t min, std::size_t max, int& value) {
  std::size_t n = 0;
  value = 0;
  while (n < s.size() && is_digit(s[n])) {
    value = value * 10 + (s[n] - '0');
    ++n;
  }
  if (n < min || n > max) return std::string_view::npos;
  return n;
}

// time = hms-time ( non-digit *OCTET ); hms-time = 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT
bool parse_time(std::string_view token, int& h, int& m, int& s) {
  std::size_t n = leading_digits(token, 1, 2, h);
  if (n == std::string_view::npos || n >= token.size() || token[n] != ':') return false;
  token.remove_prefix(n + 1);
  n = leading_digits(token, 1, 2, m);
  if (n == std::string_view::npos || n >= token.size() || token[n] != ':') return false;
  token.remove_prefix(n + 1);
  return leading_digits(token, 1, 2, s) != std::string_view::npos;
}

}  // namespace

std::optional<int64_t> parse_cookie_date(std::string_view text) {
  bool have_time = false, have_day = false, have_month = false, have_year = false;
  int hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_delimiter(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !is_delimiter(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view token = text.substr(i, j - i);
    i = j;
    if (token.empty()) continue;
    int value = 0;
    if (!have_time && parse_time(token, hour, minute, second)) {
      have_time = true;
    } else if (!have_day && leading_digits(token, 1, 2, value) != std::string_view::npos) {
      have_day = true;
      day = value;
    } else if (!have_month && token.size() >= 3 && [&] {
                 for (int k = 0; k < 12; ++k) {
                   if (strncasecmp(token.data(), kMonths[k], 3) == 0) {
                     month = k + 1;
                     return true;
                   }
                 }
                 return false;
               }()) {
      have_month = true;
    } else if (!have_year && leading_digits(token, 2, 4, value) != std::string_view::npos) {
      have_year = true;
      year = value;
    }
  }
  if (!have_time || !have_day || !have_month || !have_year) return std::nullopt;
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

std::string format_cookie_date(int64_t epoch_seconds) {
  const time_t t = static_cast<time_t>(epoch_seconds);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace irulesd::tclext
