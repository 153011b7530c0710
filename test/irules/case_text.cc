#include "test/irules/case_text.h"

#include <algorithm>
#include <cstdio>

namespace irulesd::cases {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Placeholders::apply(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      std::size_t close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        auto it = values_.find(std::string(text.substr(i + 2, close - i - 2)));
        if (it != values_.end()) {
          out.append(it->second);
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

bool decode_line(std::string_view line, std::string& out, bool& no_line_end, std::string& error) {
  no_line_end = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i + 1 == line.size()) {
      no_line_end = true;
      return true;
    }
    char e = line[++i];
    switch (e) {
      case 'r': out.push_back('\r'); break;
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case '0': out.push_back('\0'); break;
      case '\\': out.push_back('\\'); break;
      case 'x': {
        int hi = i + 1 < line.size() ? hex_value(line[i + 1]) : -1;
        int lo = i + 2 < line.size() ? hex_value(line[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          error = "\\x needs two hex digits";
          return false;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        error = std::string("unknown escape \\") + e + " (known: \\r \\n \\t \\0 \\\\ \\xHH, and \\ at the end of a line)";
        return false;
    }
  }
  return true;
}

std::string message_bytes(const std::vector<std::string>& lines, bool raw) {
  std::string out, error;
  bool no_line_end = false;
  if (raw) {
    for (const std::string& line : lines) decode_line(line, out, no_line_end, error);
    return out;
  }
  if (lines.empty()) return out;   // an empty client section connects and sends nothing
  auto blank = std::find(lines.begin(), lines.end(), std::string());
  for (auto it = lines.begin(); it != blank; ++it) {
    decode_line(*it, out, no_line_end, error);
    if (!no_line_end) out.append("\r\n");
  }
  out.append("\r\n");
  if (blank == lines.end()) return out;
  for (auto it = blank + 1; it != lines.end(); ++it) {
    decode_line(*it, out, no_line_end, error);
    if (it + 1 != lines.end() && !no_line_end) out.append("\r\n");
  }
  return out;
}

std::string display_escape(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '\r': out.append("\\r"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      case '\0': out.append("\\0"); break;
      case '\\': out.append("\\\\"); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::vector<std::string> display_lines(std::string_view bytes, bool mark_unterminated) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find("\r\n", pos);
    if (end == std::string_view::npos) {
      out.push_back(display_escape(bytes.substr(pos)) + (mark_unterminated ? "\\" : ""));
      break;
    }
    out.push_back(display_escape(bytes.substr(pos, end - pos)));
    pos = end + 2;
  }
  return out;
}

std::vector<std::string> byte_lines(std::string_view bytes) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    end = end == std::string_view::npos ? bytes.size() : end + 1;
    out.push_back(display_escape(bytes.substr(pos, end - pos)));
    pos = end;
  }
  return out;
}

std::string line_diff(const std::vector<std::string>& expected, const std::vector<std::string>& actual,
                      const std::function<bool(std::size_t, std::size_t)>& same_fn, std::size_t* common) {
  const std::string indent = "    ";
  auto same = [&](std::size_t i, std::size_t j) { return same_fn ? same_fn(i, j) : expected[i] == actual[j]; };
  // Messages are tens of lines: the quadratic table is nothing.
  const std::size_t n = expected.size();
  const std::size_t m = actual.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = std::max({same(i, j) ? lcs[i + 1][j + 1] + 1 : 0, lcs[i + 1][j], lcs[i][j + 1]});
    }
  }
  if (common) *common = static_cast<std::size_t>(lcs[0][0]);
  std::string out;
  std::size_t i = 0, j = 0;
  auto emit = [&](const char* mark, const std::string& line) { out.append(indent).append(mark).append(line).push_back('\n'); };
  while (i < n || j < m) {
    if (i < n && j < m && same(i, j) && lcs[i][j] == lcs[i + 1][j + 1] + 1) {
      emit("  ", expected[i]);
      ++i;
      ++j;
    } else if (i < n && lcs[i + 1][j] == lcs[i][j]) {
      emit("- ", expected[i++]);
    } else {
      emit("+ ", actual[j++]);
    }
  }
  return out;
}

}  // namespace irulesd::cases
