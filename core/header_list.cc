#include "core/header_list.h"

#include <strings.h>

namespace irulesd {

bool header_name_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void HeaderList::clear() {
  // In reverse, so that the next message's first header gets this one's first entry (similar sizes).
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) spare_.push_back(std::move(*it));
  headers_.clear();
  modified_ = false;
}

void HeaderList::add(std::string_view name, std::string_view value) {
  if (spare_.empty()) {
    headers_.push_back(Header{std::string(name), std::string(value)});
  } else {
    headers_.push_back(std::move(spare_.back()));
    spare_.pop_back();
    headers_.back().name.assign(name);
    headers_.back().value.assign(value);
  }
  modified_ = true;
}

bool HeaderList::exists(std::string_view name) const { return last_value(name) != nullptr; }

std::size_t HeaderList::count(std::string_view name) const {
  std::size_t n = 0;
  for (const Header& h : headers_) n += header_name_equals(h.name, name) ? 1 : 0;
  return n;
}

const std::string* HeaderList::last_value(std::string_view name) const {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (header_name_equals(it->name, name)) return &it->value;
  }
  return nullptr;
}

std::vector<std::string> HeaderList::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const Header& h : headers_) {
    if (header_name_equals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

std::vector<std::string> HeaderList::names() const {
  std::vector<std::string> out;
  out.reserve(headers_.size());
  for (const Header& h : headers_) out.push_back(h.name);
  return out;
}

std::size_t HeaderList::remove(std::string_view name) {
  std::size_t before = headers_.size();
  std::erase_if(headers_, [&](const Header& h) { return header_name_equals(h.name, name); });
  std::size_t removed = before - headers_.size();
  if (removed) modified_ = true;
  return removed;
}

void HeaderList::replace(std::string_view name, std::string_view value) {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (header_name_equals(it->name, name)) {
      it->value.assign(value);
      modified_ = true;
      return;
    }
  }
  add(name, value);
}

bool is_header_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool has_line_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

const char* header_value_fault(std::string_view value) {
  if (has_line_break(value)) return "contains CR, LF or NUL";
  if (has_control_byte(value)) return "contains a control character";
  return nullptr;
}

bool has_control_byte(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

}  // namespace irulesd
