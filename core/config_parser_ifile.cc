// iFiles: `sys file ifile NAME { source-path file:PATH }` (the bytes, read now) and `ltm ifile NAME {
// file-name SYSFILE }` (what rules name in `ifile get`).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config_parser_impl.h"

namespace irulesd::config_parser {

void Parser::parse_sys_file_ifile(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  std::string path;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->kind == ConfigWord::Kind::Bare && key->text == "source-path") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) path = v->value();
    } else if (const Setting* s = lookup({}, *key)) {
      Value v;
      read_setting(r, *key, *s, object, &v);
    } else if (key->kind == ConfigWord::Kind::Bare &&
               (key->text == "checksum" || key->text == "create-time" || key->text == "created-by" ||
                key->text == "last-update-time" || key->text == "mode" || key->text == "revision" ||
                key->text == "size" || key->text == "updated-by" || key->text == "cache-path")) {
      scalar_value(r, *key, object);   // what tmsh records about the file: the bytes are what count
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (path.empty()) return error(line, object, "source-path is missing (file:PATH)");
  if (path.rfind("file:", 0) != 0) return error(line, object, "source-path must be a file: URL, not " + path);
  path.erase(0, 5);
  while (path.rfind("//", 0) == 0 && path.size() > 2 && path[2] == '/') path.erase(0, 2);   // file:///abs
  std::filesystem::path file(path);
  if (file.is_relative()) file = std::filesystem::path(config_.file).parent_path() / file;
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return error(line, object, "cannot read source-path " + file.string());
  sys_ifiles_[name] = bytes.str();
}

void Parser::parse_ifile(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  IFile ifile;
  ifile.name = name;
  ifile.loc = SourceLoc{config_.file, line};
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->kind == ConfigWord::Kind::Bare && key->text == "file-name") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) ifile.sys_file = canonical_name(v->value());
    } else if (const Setting* s = lookup({}, *key)) {
      Value v;
      read_setting(r, *key, *s, object, &v);
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (ifile.sys_file.empty()) return error(line, object, "file-name is missing (the sys file ifile it serves)");
  config_.ifiles.push_back(std::move(ifile));
}

// Every ltm ifile gets its sys file's bytes (sys objects may come after the ltm ones in the file).
void Parser::resolve_ifiles() {
  for (IFile& ifile : config_.ifiles) {
    auto it = sys_ifiles_.find(ifile.sys_file);
    if (it == sys_ifiles_.end()) {
      error(ifile.loc.line, "ltm ifile " + ifile.name, "file-name " + ifile.sys_file + " is not a sys file ifile of this config");
      continue;
    }
    ifile.content = it->second;
  }
}

}  // namespace irulesd::config_parser
