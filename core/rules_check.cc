// `irulesd --check --rules-dir DIR` without a config: every DIR/*.tcl loaded and compiled on its own,
// one line per rule — the tool an administrator runs over a collection before moving it.
#include "core/daemon.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace irulesd {

int run_rules_check(const std::string& rules_dir, RuleEngineFactory& factory, std::ostream& out) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(rules_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".tcl") files.push_back(entry.path());
  }
  if (ec) {
    out << rules_dir << ":0: cannot read the rules folder: " << ec.message() << "\n";
    return 1;
  }
  std::sort(files.begin(), files.end());
  int failed = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    Config config;
    config.file = path.string();
    config.rules_dir = rules_dir;
    config.objects_known = false;
    const std::string name = "/Common/" + path.stem().string();
    config.rules.push_back(Rule{name, text.str(), SourceLoc{path.string(), 1}});
    const std::vector<ConfigError> errors =
        in ? factory.check(config) : std::vector<ConfigError>{{path.string(), 0, "cannot read the file"}};
    if (errors.empty()) {
      out << "loaded " << name << " (" << path.string() << ")\n";
    } else {
      ++failed;
      out << "error  " << errors.front().str() << "\n";
    }
  }
  out << "irulesd: " << files.size() << " rules in " << rules_dir << ", " << files.size() - failed << " loaded, "
      << failed << " with errors\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace irulesd
