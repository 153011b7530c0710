// irules_cases: every case of test/irules/*.cases as one Catch2 test case, registered at start-up
// (so that catch_discover_tests and --list-tests see each by name: "TOPIC: NAME", tags [irules]
// and [TOPIC]). The folder comes from $IRULES_CASES_DIR, else the source tree's test/irules.
#define CATCH_CONFIG_RUNNER
// Diffs are wider than Catch's 80 columns: keep their lines whole.
#define CATCH_CONFIG_CONSOLE_WIDTH 256
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/rule_engine.h"
#include "test/irules/case_file.h"
#include "test/irules/case_runner.h"

#ifndef IRULES_CASES_DIR
#define IRULES_CASES_DIR "test/irules"
#endif

namespace {

using namespace irulesd::cases;

irulesd::RuleEngineFactory& factory() {
  static std::unique_ptr<irulesd::RuleEngineFactory> instance = irulesd::make_tcl_rule_engine_factory();
  return *instance;
}

// Catch keeps pointers to the names, tags and file names it is given: they live here, in a deque
// that never moves its elements, for the life of the process.
struct Registered {
  Case c;
  std::string test_name;
  std::string tags;
  std::vector<std::string> errors;   // a file that failed to parse registers one test that reports them
};
std::deque<Registered>& registry() {
  static std::deque<Registered> r;
  return r;
}

class CaseInvoker final : public Catch::ITestInvoker {
 public:
  explicit CaseInvoker(const Registered* entry) : entry_(entry) {}
  void invoke() const override {
    if (!entry_->errors.empty()) {
      for (const std::string& e : entry_->errors) FAIL_CHECK(e);
      return;
    }
    std::vector<Failure> failures = run_case(entry_->c, factory());
    if (entry_->c.first(SectionKind::ExpectFailure)) failures = check_expected_failure(entry_->c, failures);
    for (const Failure& f : failures) report(f);
    if (failures.empty()) SUCCEED("case passed");
  }

 private:
  // FAIL_CHECK, but located at the case file's line rather than at this file's.
  void report(const Failure& f) const {
    Catch::AssertionHandler handler("FAIL_CHECK",
                                    Catch::SourceLineInfo(entry_->c.file.c_str(), static_cast<std::size_t>(f.line)),
                                    Catch::StringRef(), Catch::ResultDisposition::ContinueOnFailure);
    handler.handleMessage(Catch::ResultWas::ExplicitFailure, f.message);
    handler.complete();
  }

  const Registered* entry_;
};

void add_test(Registered entry, const std::string& file, int line) {
  registry().push_back(std::move(entry));
  Registered& r = registry().back();
  r.c.file = file;   // the SourceLineInfo below points into it
  Catch::getMutableRegistryHub().registerTest(
      Catch::makeTestCase(new CaseInvoker(&r), "", Catch::NameAndTags(r.test_name.c_str(), r.tags.c_str()),
                          Catch::SourceLineInfo(r.c.file.c_str(), static_cast<std::size_t>(line))));
}

void register_cases(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".cases") files.push_back(entry.path());
  }
  if (ec || files.empty()) {
    Registered r;
    r.test_name = "irules_cases: no case files";
    r.tags = "[irules]";
    r.errors = {"no *.cases files in " + dir + (ec ? ": " + ec.message() : "") + " (set IRULES_CASES_DIR)"};
    add_test(std::move(r), dir, 0);
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    CaseFile parsed = parse_case_file(path.string(), text.str());
    const std::string topic = path.stem().string();
    if (!parsed.errors.empty()) {
      Registered r;
      r.test_name = topic + ": the case file is malformed";
      r.tags = "[irules][" + topic + "]";
      r.errors = parsed.errors;
      add_test(std::move(r), path.string(), 1);
    }
    for (Case& c : parsed.cases) {
      Registered r;
      r.test_name = c.test_name();
      r.tags = "[irules][" + topic + "]";
      int line = c.line;
      std::string file = c.file;
      r.c = std::move(c);
      add_test(std::move(r), file, line);
    }
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  // The worker writes to sockets the client may already have reset: no SIGPIPE (as in irulesd).
  std::signal(SIGPIPE, SIG_IGN);
  const char* dir = std::getenv("IRULES_CASES_DIR");
  register_cases(dir != nullptr && *dir != '\0' ? dir : IRULES_CASES_DIR);
  return Catch::Session().run(argc, argv);
}
