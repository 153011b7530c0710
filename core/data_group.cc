#include "core/data_group.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace irulesd {
namespace {

constexpr uint32_t kNoNode = 0xffffffffu;

// Groups with at most this many bytes of keys get every structure when the config is finished (a few
// ms and a few MB at most); bigger ones build each on the first query that needs it.
constexpr std::size_t kEagerKeyBytes = 64 * 1024;

// ---- integers ------------------------------------------------------------------------------------------

// Optional sign, then decimal digits (leading zeros allowed), within int64.
bool parse_int64(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 24) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && s.back() >= '0' && s.back() <= '9';
}

// ---- collecting matches --------------------------------------------------------------------------------

// Gathers matching elements: the smallest (what a match without -all answers) and, when asked, all.
class Matches {
 public:
  explicit Matches(std::vector<uint32_t>* all) : all_(all) {
    if (all_) all_->clear();
  }
  void add(uint32_t element) {
    if (element == kNoElement) return;
    first_ = std::min(first_, element);
    if (all_) all_->push_back(element);
  }
  bool wants_all() const { return all_ != nullptr; }
  uint32_t finish() {
    if (all_) {
      std::sort(all_->begin(), all_->end());
      all_->erase(std::unique(all_->begin(), all_->end()), all_->end());
    }
    return first_;
  }

 private:
  std::vector<uint32_t>* all_;
  uint32_t first_ = kNoElement;
};

// ---- byte trie (with Aho-Corasick links) ---------------------------------------------------------------

// The keys of a group as a trie over bytes, forward or reversed. Each node knows the element whose key
// ends there, the smallest element in its subtree (search starts_with answers in O(n)), and, when
// built with links, the Aho-Corasick failure and dictionary links (match contains in one pass).
class Trie {
 public:
  // Built from the keys sorted in reading order (forward or reversed bytes): with the previous key's
  // path on a stack, each key only adds the nodes past its common prefix with the one before, and every
  // node's children appear in increasing byte order, ready to be laid out flat. No per-node allocation.
  void build(const DataGroup& group, bool reversed, bool links) {
    const std::vector<DataGroupRecord>& records = group.records;
    auto byte_at = [&](const std::string& key, std::size_t i) {
      return static_cast<unsigned char>(reversed ? key[key.size() - 1 - i] : key[i]);
    };
    auto common = [&](const std::string& a, const std::string& b) {
      std::size_t n = std::min(a.size(), b.size()), i = 0;
      while (i < n && byte_at(a, i) == byte_at(b, i)) ++i;
      return i;
    };
    std::vector<uint32_t> order(records.size());
    for (uint32_t e = 0; e < order.size(); ++e) order[e] = e;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      const std::string& x = records[a].name;
      const std::string& y = records[b].name;
      const std::size_t i = common(x, y);
      if (i < x.size() && i < y.size()) return byte_at(x, i) < byte_at(y, i);
      return x.size() != y.size() ? x.size() < y.size() : a < b;
    });

    std::vector<uint32_t> parent{kNoNode};
    std::vector<unsigned char> byte{0};
    std::vector<uint32_t> elem{kNoElement};
    std::vector<uint32_t> path{0};   // path[d]: the node at depth d of the previous key
    const std::string* previous = nullptr;
    for (uint32_t e : order) {
      const std::string& key = records[e].name;
      path.resize((previous ? common(*previous, key) : 0) + 1);
      for (std::size_t d = path.size() - 1; d < key.size(); ++d) {
        parent.push_back(path.back());
        byte.push_back(byte_at(key, d));
        elem.push_back(kNoElement);
        path.push_back(static_cast<uint32_t>(elem.size() - 1));
      }
      uint32_t& at = elem[path[key.size()]];
      at = std::min(at, e);   // a duplicate key (hand-built groups only) answers with its first element
      previous = &key;
    }

    // Lay the edges out per parent, keeping their (sorted) creation order.
    const std::size_t n = elem.size();
    nodes_.assign(n, Node{});
    for (std::size_t v = 1; v < n; ++v) ++nodes_[parent[v]].edge_count;
    uint32_t next = 0;
    for (Node& node : nodes_) {
      node.first_edge = next;
      next += node.edge_count;
      node.edge_count = 0;
    }
    edge_byte_.assign(n - 1, 0);
    edge_child_.assign(n - 1, 0);
    for (std::size_t v = 1; v < n; ++v) {
      Node& p = nodes_[parent[v]];
      edge_byte_[p.first_edge + p.edge_count] = byte[v];
      edge_child_[p.first_edge + p.edge_count] = static_cast<uint32_t>(v);
      ++p.edge_count;
    }
    // A child is always created after its parent: walking ids downwards sees every subtree first.
    for (std::size_t v = n; v-- > 0;) {
      nodes_[v].elem = elem[v];
      nodes_[v].subtree_min = std::min(nodes_[v].subtree_min, elem[v]);
      if (v > 0) nodes_[parent[v]].subtree_min = std::min(nodes_[parent[v]].subtree_min, nodes_[v].subtree_min);
    }
    if (links) build_links();
  }

  uint32_t child(uint32_t node, unsigned char c) const {
    const Node& n = nodes_[node];
    auto begin = edge_byte_.begin() + n.first_edge;
    auto end = begin + n.edge_count;
    auto it = std::lower_bound(begin, end, c);
    return it != end && *it == c ? edge_child_[static_cast<std::size_t>(it - edge_byte_.begin())] : kNoNode;
  }
  uint32_t elem(uint32_t node) const { return nodes_[node].elem; }
  uint32_t subtree_min(uint32_t node) const { return nodes_[node].subtree_min; }

  // The node the whole of `item` leads to (reversed: read from its end), or kNoNode.
  uint32_t walk(std::string_view item, bool reversed) const {
    uint32_t node = 0;
    for (std::size_t i = 0; i < item.size() && node != kNoNode; ++i) {
      node = child(node, static_cast<unsigned char>(reversed ? item[item.size() - 1 - i] : item[i]));
    }
    return node;
  }

  // Every element whose key is a prefix of `item` (reversed: a suffix).
  void prefixes_of(std::string_view item, bool reversed, Matches* out) const {
    uint32_t node = 0;
    out->add(nodes_[0].elem);
    for (std::size_t i = 0; i < item.size(); ++i) {
      node = child(node, static_cast<unsigned char>(reversed ? item[item.size() - 1 - i] : item[i]));
      if (node == kNoNode) return;
      out->add(nodes_[node].elem);
    }
  }

  // Every element in the subtree of `node`.
  void subtree(uint32_t node, Matches* out) const {
    std::vector<uint32_t> stack{node};
    while (!stack.empty()) {
      const Node& n = nodes_[stack.back()];
      stack.pop_back();
      out->add(n.elem);
      for (uint32_t i = 0; i < n.edge_count; ++i) stack.push_back(edge_child_[n.first_edge + i]);
    }
  }

  // Aho-Corasick: every element whose key occurs in `item`. Stops early once element 0 is found
  // and only the first is wanted (nothing sorts before it).
  void occurrences_in(std::string_view item, bool want_all, Matches* out) const {
    uint32_t state = 0;
    out->add(nodes_[0].elem);
    for (unsigned char c : item) {
      uint32_t next = child(state, c);
      while (next == kNoNode && state != 0) {
        state = nodes_[state].fail;
        next = child(state, c);
      }
      state = next == kNoNode ? 0 : next;
      for (uint32_t t = state; t != kNoNode; t = nodes_[t].dict) {
        out->add(nodes_[t].elem);
        if (!want_all && nodes_[t].elem == 0) return;
      }
    }
  }

 private:
  struct Node {
    uint32_t first_edge = 0;
    uint32_t edge_count = 0;
    uint32_t elem = kNoElement;
    uint32_t subtree_min = kNoElement;
    uint32_t fail = 0;        // longest proper suffix of this node's string that is also a trie node
    uint32_t dict = kNoNode;  // nearest node on the failure chain that ends a key
  };

  void build_links() {
    std::vector<uint32_t> queue;
    queue.reserve(nodes_.size());
    for (uint32_t i = 0; i < nodes_[0].edge_count; ++i) {
      uint32_t v = edge_child_[nodes_[0].first_edge + i];
      nodes_[v].fail = 0;
      nodes_[v].dict = nodes_[0].elem != kNoElement ? 0 : kNoNode;
      queue.push_back(v);
    }
    for (std::size_t head = 0; head < queue.size(); ++head) {
      const uint32_t u = queue[head];
      for (uint32_t i = 0; i < nodes_[u].edge_count; ++i) {
        const unsigned char c = edge_byte_[nodes_[u].first_edge + i];
        const uint32_t v = edge_child_[nodes_[u].first_edge + i];
        uint32_t f = nodes_[u].fail;
        uint32_t g = child(f, c);
        while (g == kNoNode && f != 0) {
          f = nodes_[f].fail;
          g = child(f, c);
        }
        nodes_[v].fail = g == kNoNode ? 0 : g;
        const uint32_t fv = nodes_[v].fail;
        nodes_[v].dict = nodes_[fv].elem != kNoElement ? fv : nodes_[fv].dict;
        queue.push_back(v);
      }
    }
  }

  std::vector<Node> nodes_;
  std::vector<unsigned char> edge_byte_;
  std::vector<uint32_t> edge_child_;
};

// ---- string and integer groups -------------------------------------------------------------------------

// Integer groups share the string machinery on their canonical decimal keys; only equals compares
// numbers (so "007" finds 7).
class StringIndex final : public DataGroupIndex {
 public:
  explicit StringIndex(const DataGroup& group) : integer_(group.type == DataGroupType::Integer) {
    std::size_t key_bytes = 0;
    for (const DataGroupRecord& r : group.records) key_bytes += r.name.size();
    if (integer_) {
      values_.reserve(group.records.size());
      for (const DataGroupRecord& r : group.records) {
        int64_t v = 0;
        values_.push_back(parse_int64(r.name, &v) ? v : INT64_MIN);
      }
    }
    if (key_bytes <= kEagerKeyBytes) {   // the usual group: everything now, off the workers' loops
      forward(group);
      reverse(group);
      suffix_array(group);
    }
  }

  bool supports(ClassOp) const override { return true; }

  uint32_t match(const DataGroup& group, std::string_view item, ClassOp op, std::vector<uint32_t>* all) const override {
    Matches out(all);
    switch (op) {
      case ClassOp::Equals: out.add(equal(group, item)); break;
      case ClassOp::StartsWith: forward(group).prefixes_of(item, false, &out); break;
      case ClassOp::EndsWith: reverse(group).prefixes_of(item, true, &out); break;
      case ClassOp::Contains: forward(group).occurrences_in(item, all != nullptr, &out); break;
    }
    return out.finish();
  }

  uint32_t search(const DataGroup& group, std::string_view item, ClassOp op, std::vector<uint32_t>* all) const override {
    Matches out(all);
    switch (op) {
      case ClassOp::Equals: out.add(equal(group, item)); break;
      case ClassOp::StartsWith: under(forward(group), item, false, &out); break;
      case ClassOp::EndsWith: under(reverse(group), item, true, &out); break;
      case ClassOp::Contains: containing(group, item, &out); break;
    }
    return out.finish();
  }

 private:
  // One suffix of one key: the suffix array entry of search contains.
  struct Suffix {
    uint32_t elem;
    uint32_t offset;
  };

  uint32_t equal(const DataGroup& group, std::string_view item) const {
    if (integer_) {
      int64_t v = 0;
      if (!parse_int64(item, &v)) return kNoElement;
      auto it = std::lower_bound(values_.begin(), values_.end(), v);
      return it != values_.end() && *it == v ? static_cast<uint32_t>(it - values_.begin()) : kNoElement;
    }
    auto it = std::lower_bound(group.records.begin(), group.records.end(), item,
                               [](const DataGroupRecord& r, std::string_view v) { return r.name < v; });
    return it != group.records.end() && it->name == item ? static_cast<uint32_t>(it - group.records.begin())
                                                          : kNoElement;
  }

  // Keys that start (reversed: end) with item: the subtree item leads to.
  static void under(const Trie& trie, std::string_view item, bool reversed, Matches* out) {
    uint32_t node = trie.walk(item, reversed);
    if (node == kNoNode) return;
    if (out->wants_all()) {
      trie.subtree(node, out);
    } else {
      out->add(trie.subtree_min(node));
    }
  }

  // Keys that contain item: the run of suffixes that start with it.
  void containing(const DataGroup& group, std::string_view item, Matches* out) const {
    if (item.empty()) {   // every key contains the empty string
      for (uint32_t e = 0; e < group.records.size(); ++e) out->add(e);
      return;
    }
    const std::vector<Suffix>& suffixes = suffix_array(group);
    auto text = [&](const Suffix& s) { return std::string_view(group.records[s.elem].name).substr(s.offset); };
    auto it = std::lower_bound(suffixes.begin(), suffixes.end(), item,
                               [&](const Suffix& s, std::string_view v) { return text(s) < v; });
    for (; it != suffixes.end() && text(*it).substr(0, item.size()) == item; ++it) out->add(it->elem);
  }

  const Trie& forward(const DataGroup& group) const {
    std::call_once(forward_once_, [&] { forward_.build(group, false, true); });
    return forward_;
  }
  const Trie& reverse(const DataGroup& group) const {
    std::call_once(reverse_once_, [&] { reverse_.build(group, true, false); });
    return reverse_;
  }
  const std::vector<Suffix>& suffix_array(const DataGroup& group) const {
    std::call_once(suffix_once_, [&] {
      for (uint32_t e = 0; e < group.records.size(); ++e) {
        for (uint32_t off = 0; off < group.records[e].name.size(); ++off) suffixes_.push_back(Suffix{e, off});
      }
      std::sort(suffixes_.begin(), suffixes_.end(), [&](const Suffix& a, const Suffix& b) {
        return std::string_view(group.records[a.elem].name).substr(a.offset) <
               std::string_view(group.records[b.elem].name).substr(b.offset);
      });
    });
    return suffixes_;
  }

  bool integer_;
  std::vector<int64_t> values_;   // integer groups: each element's key, ascending
  mutable std::once_flag forward_once_, reverse_once_, suffix_once_;
  mutable Trie forward_;
  mutable Trie reverse_;
  mutable std::vector<Suffix> suffixes_;
};

// ---- ip groups -----------------------------------------------------------------------------------------

struct PrefixHash {
  std::size_t operator()(const IpPrefix& p) const {
    uint64_t h = p.hi * 0x9e3779b97f4a7c15ull ^ (p.lo + 0x632be59bd9b4e019ull + (p.hi << 6) + (p.hi >> 2));
    return static_cast<std::size_t>(h ^ (h >> 29) ^ static_cast<uint64_t>(p.len) * 0xff51afd7ed558ccdull);
  }
};

// One hash table of networks; a lookup masks the address to each prefix length the group uses,
// longest first, so the first hit is the most specific network.
class IpIndex final : public DataGroupIndex {
 public:
  explicit IpIndex(const DataGroup& group) {
    bool seen[129] = {};
    for (uint32_t e = 0; e < group.records.size(); ++e) {
      IpPrefix p;
      if (!parse_ip_prefix(group.records[e].name, false, &p)) continue;
      p = p.masked(p.len);
      networks_.emplace(p, e);
      seen[p.len] = true;
    }
    for (int len = 128; len >= 0; --len) {
      if (seen[len]) lengths_.push_back(len);
    }
  }

  bool supports(ClassOp op) const override { return op == ClassOp::Equals; }

  uint32_t match(const DataGroup&, std::string_view item, ClassOp op, std::vector<uint32_t>* all) const override {
    if (all) all->clear();
    IpPrefix p;
    if (op != ClassOp::Equals || !parse_ip_prefix(item, true, &p)) return kNoElement;
    uint32_t longest = kNoElement;
    for (int len : lengths_) {
      if (len > p.len) continue;   // a network inside the item's network does not contain it
      auto it = networks_.find(p.masked(len));
      if (it == networks_.end()) continue;
      if (longest == kNoElement) longest = it->second;
      if (!all) break;
      all->push_back(it->second);
    }
    if (all) std::sort(all->begin(), all->end());
    return longest;
  }

  uint32_t search(const DataGroup& group, std::string_view item, ClassOp op, std::vector<uint32_t>* all) const override {
    return match(group, item, op, all);
  }

 private:
  std::unordered_map<IpPrefix, uint32_t, PrefixHash> networks_;
  std::vector<int> lengths_;   // the prefix lengths present, longest first
};

// Ordering of ip keys: IPv4 before IPv6, then address, then prefix length.
bool ip_before(const IpPrefix& a, const IpPrefix& b) {
  if (a.is_v4() != b.is_v4()) return a.is_v4();
  if (a.hi != b.hi) return a.hi < b.hi;
  if (a.lo != b.lo) return a.lo < b.lo;
  return a.len < b.len;
}

}  // namespace

// ---- names ---------------------------------------------------------------------------------------------

std::optional<ClassOp> class_op_from_name(std::string_view name) {
  if (name == "equals") return ClassOp::Equals;
  if (name == "starts_with") return ClassOp::StartsWith;
  if (name == "ends_with") return ClassOp::EndsWith;
  if (name == "contains") return ClassOp::Contains;
  return std::nullopt;
}

const char* data_group_type_name(DataGroupType type) {
  switch (type) {
    case DataGroupType::String: return "string";
    case DataGroupType::Ip: return "ip";
    case DataGroupType::Integer: return "integer";
  }
  return "string";
}

std::optional<DataGroupType> data_group_type_from_name(std::string_view name) {
  if (name == "string") return DataGroupType::String;
  if (name == "ip") return DataGroupType::Ip;
  if (name == "integer") return DataGroupType::Integer;
  return std::nullopt;
}

// ---- ip prefixes ---------------------------------------------------------------------------------------

IpPrefix IpPrefix::masked(int length) const {
  IpPrefix p = *this;
  p.len = length;
  if (length <= 0) {
    p.hi = p.lo = 0;
  } else if (length <= 64) {
    p.hi &= ~uint64_t{0} << (64 - length);
    p.lo = 0;
  } else if (length < 128) {
    p.lo &= ~uint64_t{0} << (128 - length);
  }
  return p;
}

bool parse_ip_prefix(std::string_view text, bool item, IpPrefix* out) {
  std::string_view addr = text;
  int len = -1;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  }
  if (item) {
    if (std::size_t pct = addr.find('%'); pct != std::string_view::npos) {
      if (pct + 1 == addr.size()) return false;
      addr = addr.substr(0, pct);
    }
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (addr.empty() || addr.size() >= sizeof buf) return false;
  std::memcpy(buf, addr.data(), addr.size());
  buf[addr.size()] = '\0';
  IpPrefix p;
  if (addr.find(':') != std::string_view::npos) {
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, buf, bytes) != 1) return false;
    for (int i = 0; i < 8; ++i) p.hi = (p.hi << 8) | bytes[i];
    for (int i = 8; i < 16; ++i) p.lo = (p.lo << 8) | bytes[i];
    if (len > 128) return false;
    p.len = len < 0 ? 128 : len;
  } else {
    unsigned char bytes[4];
    if (inet_pton(AF_INET, buf, bytes) != 1) return false;
    p.lo = (uint64_t{0xffff} << 32) | (uint64_t{bytes[0]} << 24) | (uint64_t{bytes[1]} << 16) |
           (uint64_t{bytes[2]} << 8) | bytes[3];
    if (len > 32) return false;
    p.len = len < 0 ? 128 : 96 + len;
  }
  *out = p;
  return true;
}

std::string format_ip_prefix(const IpPrefix& p) {
  char buf[INET6_ADDRSTRLEN];
  if (p.is_v4()) {
    unsigned char bytes[4] = {static_cast<unsigned char>(p.lo >> 24), static_cast<unsigned char>(p.lo >> 16),
                              static_cast<unsigned char>(p.lo >> 8), static_cast<unsigned char>(p.lo)};
    inet_ntop(AF_INET, bytes, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(p.len - 96);
  }
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(p.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(p.lo >> (56 - 8 * i));
  inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(p.len);
}

// ---- records -------------------------------------------------------------------------------------------

std::string canonical_data_group_key(DataGroupType type, std::string_view key, std::string* canonical) {
  if (key.empty()) return "is an empty key";
  switch (type) {
    case DataGroupType::String:
      canonical->assign(key);
      return {};
    case DataGroupType::Integer: {
      int64_t v = 0;
      if (!parse_int64(key, &v)) return "is not an integer";
      *canonical = std::to_string(v);
      return {};
    }
    case DataGroupType::Ip: {
      IpPrefix p;
      if (!parse_ip_prefix(key, false, &p)) return "is not an IPv4 or IPv6 address or network (ADDR or ADDR/LEN)";
      if (p.masked(p.len) != p) return "has address bits set beyond its prefix length";
      *canonical = format_ip_prefix(p);
      return {};
    }
  }
  return "has an unknown type";
}

// Sorts records by a key computed once per record (not once per comparison).
template <typename Key, typename Less>
void sort_records_by(std::vector<DataGroupRecord>& records, Key key_of, Less less) {
  using K = decltype(key_of(records.front()));
  std::vector<std::pair<K, uint32_t>> keyed;
  keyed.reserve(records.size());
  for (uint32_t i = 0; i < records.size(); ++i) keyed.emplace_back(key_of(records[i]), i);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) { return less(a.first, b.first); });
  std::vector<DataGroupRecord> sorted;
  sorted.reserve(records.size());
  for (const auto& k : keyed) sorted.push_back(std::move(records[k.second]));
  records = std::move(sorted);
}

void finish_data_group(DataGroup& group) {
  auto& records = group.records;
  if (!records.empty()) {
    switch (group.type) {
      case DataGroupType::String:
        std::stable_sort(records.begin(), records.end(),
                         [](const DataGroupRecord& a, const DataGroupRecord& b) { return a.name < b.name; });
        break;
      case DataGroupType::Integer:
        sort_records_by(
            records,
            [](const DataGroupRecord& r) {
              int64_t v = INT64_MIN;
              parse_int64(r.name, &v);
              return v;
            },
            std::less<int64_t>());
        break;
      case DataGroupType::Ip:
        // Unparsable keys (only in hand-built groups) go last.
        sort_records_by(
            records,
            [](const DataGroupRecord& r) {
              IpPrefix p;
              bool ok = parse_ip_prefix(r.name, false, &p);
              return std::make_pair(!ok, p);
            },
            [](const std::pair<bool, IpPrefix>& a, const std::pair<bool, IpPrefix>& b) {
              if (a.first != b.first) return b.first;
              return !a.first && ip_before(a.second, b.second);
            });
        break;
    }
  }
  if (group.type == DataGroupType::Ip) {
    group.index = std::make_shared<IpIndex>(group);
  } else {
    group.index = std::make_shared<StringIndex>(group);
  }
}

void finish_data_groups(Config& config) {
  for (DataGroup& group : config.data_groups) finish_data_group(group);
}

const DataGroup* find_data_group(const Config& config, std::string_view name) {
  constexpr std::string_view kCommon = "/Common/";
  if (name.empty()) return nullptr;
  const bool bare = name.front() != '/';
  for (const DataGroup& group : config.data_groups) {
    std::string_view candidate = group.name;
    if (bare) {
      if (candidate.size() != kCommon.size() + name.size() || candidate.substr(0, kCommon.size()) != kCommon) continue;
      candidate.remove_prefix(kCommon.size());
    }
    if (candidate == name) return &group;
  }
  return nullptr;
}

}  // namespace irulesd
