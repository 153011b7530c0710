#include "core/header_list.h"

#include <strings.h>

namespace irulesd {

bool header_name_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

HeaderList& HeaderList::operator=(const HeaderList& other) {
  if (this == &other) return *this;
  clear();
  received_ = other.received_;
  intact_ = other.intact_;
  for (const Header& h : other.headers_) {
    // Views into the other list's received bytes point at the same offsets of this copy's.
    auto local = [&](std::string_view s) {
      if (!is_received(s, other.received_.data(), other.received_.size())) return keep(s);
      return std::string_view(received_.data() + (s.data() - other.received_.data()), s.size());
    };
    std::string_view name = local(h.name);
    headers_.push_back(Header{name, local(h.value)});
  }
  modified_ = other.modified_;
  return *this;
}

HeaderList& HeaderList::operator=(HeaderList&& other) noexcept {
  if (this == &other) return *this;
  const char* old_base = other.received_.data();
  const std::size_t old_size = other.received_.size();
  headers_ = std::move(other.headers_);
  received_ = std::move(other.received_);   // a short string's bytes move: rebase below
  intact_ = other.intact_;
  owned_ = std::move(other.owned_);          // the strings stay where they are
  owned_used_ = other.owned_used_;
  modified_ = other.modified_;
  rebase(old_base, old_size);
  other.headers_.clear();
  other.received_.clear();
  other.owned_.clear();
  other.owned_used_ = 0;
  other.intact_ = false;
  other.modified_ = false;
  return *this;
}

void HeaderList::clear() {
  headers_.clear();
  owned_used_ = 0;   // the strings stay, with their capacity, for the next message's edits
  intact_ = false;
  modified_ = false;
}

std::string_view HeaderList::keep(std::string_view s) {
  if (owned_used_ == owned_.size()) {
    owned_.push_back(std::make_unique<std::string>(s));
  } else {
    owned_[owned_used_]->assign(s.data(), s.size());
  }
  return *owned_[owned_used_++];
}

void HeaderList::rebase(const char* old_base, std::size_t old_size) {
  const char* base = received_.data();
  if (base == old_base) return;
  for (Header& h : headers_) {
    if (is_received(h.name, old_base, old_size)) h.name = std::string_view(base + (h.name.data() - old_base), h.name.size());
    if (is_received(h.value, old_base, old_size)) {
      h.value = std::string_view(base + (h.value.data() - old_base), h.value.size());
    }
  }
}

void HeaderList::begin_received() {
  clear();
  received_.clear();
}

std::size_t HeaderList::append_received(const char* data, std::size_t len) {
  const char* old_base = received_.data();
  const std::size_t at = received_.size();
  received_.append(data, len);
  rebase(old_base, at);
  return at;
}

void HeaderList::add_received(std::size_t name_at, std::size_t name_len, std::size_t value_at, std::size_t value_len) {
  headers_.push_back(Header{std::string_view(received_.data() + name_at, name_len),
                            std::string_view(received_.data() + value_at, value_len)});
}

void HeaderList::end_received(std::size_t size, bool intact) {
  if (size < received_.size()) received_.resize(size);
  intact_ = intact;
}

void HeaderList::add(std::string_view name, std::string_view value) {
  // Both copies first: name or value may be a view into this list (reallocation cannot move them).
  std::string_view kept_name = keep(name);
  headers_.push_back(Header{kept_name, keep(value)});
  modified_ = true;
}

bool HeaderList::exists(std::string_view name) const { return last_value(name).has_value(); }

std::size_t HeaderList::count(std::string_view name) const {
  std::size_t n = 0;
  for (const Header& h : headers_) n += header_name_equals(h.name, name) ? 1 : 0;
  return n;
}

std::optional<std::string_view> HeaderList::last_value(std::string_view name) const {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (header_name_equals(it->name, name)) return it->value;
  }
  return std::nullopt;
}

std::vector<std::string> HeaderList::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const Header& h : headers_) {
    if (header_name_equals(h.name, name)) out.emplace_back(h.value);
  }
  return out;
}

std::vector<std::string> HeaderList::names() const {
  std::vector<std::string> out;
  out.reserve(headers_.size());
  for (const Header& h : headers_) out.emplace_back(h.name);
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
      it->value = keep(value);   // a fresh copy: views of the old value stay valid
      modified_ = true;
      return;
    }
  }
  add(name, value);
}

void HeaderList::set_at(std::size_t index, std::string_view name, std::string_view value) {
  std::string_view kept_name = keep(name);
  headers_.at(index) = Header{kept_name, keep(value)};
  modified_ = true;
}

void HeaderList::remove_at(std::size_t index) {
  headers_.erase(headers_.begin() + static_cast<std::ptrdiff_t>(index));
  modified_ = true;
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
