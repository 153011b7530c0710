// `ltm data-group internal`: records made canonical for the group's type; core/data_group.cc indexes
// them once the config is complete.
#include <map>

#include "core/config_parser_impl.h"
#include "core/data_group.h"

namespace irulesd::config_parser {
namespace {

// The text of a data group key or value. tmsh writes `"` and `\` inside quotes as `\"` and `\\`;
// every other backslash is data (a regex's `\.` stays as written).
std::string tmsh_text(const ConfigWord& word) {
  std::string raw = word.value();
  if (word.kind != ConfigWord::Kind::Quoted) return raw;
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace

// `ltm data-group internal NAME { records { KEY { data VALUE } ... } type string|ip|integer }`.
// tmsh writes records before type, so the records are read once the whole body is known.
void Parser::parse_data_group(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  DataGroup group;
  group.name = name;
  group.loc = SourceLoc{config_.file, line};
  const ConfigWord* records = nullptr;
  bool has_type = false;
  bool type_ok = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    std::string k = key->is_block() ? std::string() : key->text;
    if (k == "type") {
      has_type = true;
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      if (auto type = data_group_type_from_name(v->value())) {
        group.type = *type;
        type_ok = true;
      } else {
        error(v->line, object, "type " + v->text + " is not supported (string, ip or integer)");
      }
    } else if (k == "records") {
      if (const ConfigWord* v = block_value(r, *key, object)) {
        if (records) error(key->line, object, "records given twice");
        records = v;
      }
    } else if (k == "description") {
      // Only description: test/unit/core_data_group_test.cc holds `partition` to be an unknown property
      // of a data group, where every other object accepts metadata_settings().
      scalar_value(r, *key, object);
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_type) error(line, object, "missing type (string, ip or integer)");
  if (records && type_ok) parse_records(group, *records, object);
  config_.data_groups.push_back(std::move(group));
}

// `records { KEY { } KEY2 { data VALUE } }`: every key checked and made canonical for the group's
// type; two keys that mean the same record (10.0.0.1 and 10.0.0.1/32) are a duplicate.
void Parser::parse_records(DataGroup& group, const ConfigWord& block, const std::string& object) {
  std::map<std::string, int> first_line;   // canonical key -> line
  PropertyReader r(block);
  while (const ConfigWord* key_word = r.next_key()) {
    if (key_word->is_block()) {
      error(key_word->line, object, "unexpected { } block where a record key belongs");
      continue;
    }
    const ConfigWord* record_body = r.next_value();
    if (!record_body || record_body->kind != ConfigWord::Kind::Block) {
      error(key_word->line, object, "record " + key_word->text + " is missing its { } body");
      if (record_body) r.skip_statement();
      continue;
    }
    DataGroupRecord record;
    std::string problem = canonical_data_group_key(group.type, tmsh_text(*key_word), &record.name);
    if (!problem.empty()) error(key_word->line, object, "record " + key_word->text + " " + problem);
    PropertyReader fields(*record_body);
    while (const ConfigWord* field = fields.next_key()) {
      if (field->is_block() || field->text != "data") {
        error(field->line, object, "record " + key_word->text + ": " +
                                       (field->is_block() ? std::string("unexpected { } block")
                                                          : "unknown property " + field->text));
        fields.skip_statement();
        continue;
      }
      const ConfigWord* v = fields.next_value();
      if (!v) {
        error(field->line, object, "record " + key_word->text + ": data is missing its value");
      } else if (v->is_block()) {
        error(v->line, object, "record " + key_word->text + ": data takes a value, not a { } block");
      } else {
        record.data = tmsh_text(*v);
      }
    }
    if (!problem.empty()) continue;
    auto [first, inserted] = first_line.emplace(record.name, key_word->line);
    if (!inserted) {
      error(key_word->line, object, "duplicate record " + key_word->text + " (first defined at line " +
                                        std::to_string(first->second) + ")");
      continue;
    }
    group.records.push_back(std::move(record));
  }
}

}  // namespace irulesd::config_parser
