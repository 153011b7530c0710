// Data groups (`ltm data-group internal`) and the index that answers the iRule class operators. No Tcl
// here: tclext/class_commands.cc turns `class`, `matchclass` and `findclass` into these calls.
//
// Element order. BIG-IP keeps a data group's records sorted (tmsh lists them that way), and
// `class element N`, `-index`, `class names` and every "first match" follow that order: string keys by
// bytes, integer keys by value, ip keys IPv4 before IPv6, then by address, then by prefix length. The
// parser sorts records into it (finish_data_group), so an index never depends on how a file happened
// to be written.
//
// Which record answers when several match (F5 documents only "the first data group item" for
// matchclass; these are irulesd's rules, listed in the README's compatibility table):
//  - string and integer groups: the first in element order. For `class match ITEM starts_with G` that
//    is the shortest key that prefixes ITEM, since a prefix sorts before its extensions.
//  - ip groups: the longest prefix that contains the address (the most specific network), as a routing
//    table answers.
// With -all every match comes back, in element order.
//
// Cost per query (n = length of the item): equals is a binary search over the sorted keys; match
// starts_with walks a byte trie of the keys (O(n)); match ends_with walks a trie of the reversed keys;
// match contains runs Aho-Corasick over the keys (O(n + matches)); search starts_with / ends_with walk
// the item down a trie and take the precomputed smallest element under it (O(n)); search contains is
// a binary search in a suffix array of the keys; an ip lookup is one hash probe per distinct prefix
// length in the group.
//
// When it is built. The index is made when the config is finished (finish_data_group, called by the
// parser), so it is built once per config version, on the thread that loads the config and not on a
// worker's loop, and it dies with the Config snapshot that owns it: no cache keyed by a Config pointer
// that a later config could reuse. A group with up to 64 KiB of keys (the usual case) gets every
// structure then. The tries and the suffix array cost about 25 and 8 bytes per key byte, so a bigger
// group builds each of them the first time a query needs it (std::call_once, shared by every worker;
// ~50 ms per trie for 100,000 URL-sized keys): a million-key list only ever used with equals never
// pays for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace irulesd {

// The comparison a class command applies (iRules' operator names).
enum class ClassOp { Equals, StartsWith, EndsWith, Contains };
std::optional<ClassOp> class_op_from_name(std::string_view name);   // "equals", "starts_with", ...

const char* data_group_type_name(DataGroupType type);   // "string", "ip", "integer" (tmsh's names)
std::optional<DataGroupType> data_group_type_from_name(std::string_view name);

// An IPv4 or IPv6 network. IPv4 is kept as its IPv4-mapped IPv6 address (::ffff:a.b.c.d, prefix + 96),
// so one index answers both families and ::ffff:10.1.1.1 is inside 10.0.0.0/8, as on BIG-IP.
struct IpPrefix {
  uint64_t hi = 0;
  uint64_t lo = 0;
  int len = 128;   // 0-128; an IPv4 /8 is 104
  bool is_v4() const { return hi == 0 && (lo >> 32) == 0xffff && len >= 96; }
  IpPrefix masked(int length) const;   // the network of this address with `length` bits
  bool operator==(const IpPrefix&) const = default;
};
// "ADDR" or "ADDR/LEN", IPv4 dotted quad or IPv6 text, strict. An item (what a rule passes, e.g.
// IP::client_addr) may carry a route domain or zone, "10.1.1.1%2", which is ignored.
bool parse_ip_prefix(std::string_view text, bool item, IpPrefix* out);
std::string format_ip_prefix(const IpPrefix& prefix);   // "10.0.0.0/8", "2001:db8::/32", "10.1.1.1/32"

// Checks one record key of a group of `type` and gives its canonical form (string: as is; integer:
// decimal without leading zeros; ip: format_ip_prefix). Returns an empty string, or what is wrong
// ("is not an integer") for the parser to put after "record KEY ".
std::string canonical_data_group_key(DataGroupType type, std::string_view key, std::string* canonical);

// Sorts the records into element order and builds group.index. The parser calls it for every group
// of a config it accepts; a Config built by hand (tests) calls finish_data_groups.
void finish_data_group(DataGroup& group);
void finish_data_groups(Config& config);

// The data group named `name` (canonical /Partition/name, or bare for /Common), or nullptr. Compares
// without building the canonical name, so a rule's lookup allocates nothing.
const DataGroup* find_data_group(const Config& config, std::string_view name);

constexpr uint32_t kNoElement = 0xffffffffu;

// The lookup structures of one data group. Built from the group and queried with that same group
// (the index keeps element numbers, not copies of the keys). Thread-safe: every method is const and
// the lazily built parts are built once under std::call_once.
class DataGroupIndex {
 public:
  virtual ~DataGroupIndex() = default;
  // Whether the operator applies to the group's type: ip groups answer equals (containment) only.
  virtual bool supports(ClassOp op) const = 0;
  // `class match ITEM OP GROUP`: the elements whose key K satisfies `ITEM OP K`. Returns the element
  // a match without -all answers (kNoElement if none); with `all` set, also fills it with every
  // matching element in element order.
  virtual uint32_t match(const DataGroup& group, std::string_view item, ClassOp op,
                         std::vector<uint32_t>* all) const = 0;
  // `class search GROUP OP ITEM`: the elements whose key K satisfies `K OP ITEM`.
  virtual uint32_t search(const DataGroup& group, std::string_view item, ClassOp op,
                          std::vector<uint32_t>* all) const = 0;
};

}  // namespace irulesd
