// iFiles in bigip.conf: sys file ifile (the bytes, from a file beside the config or an absolute
// path) and ltm ifile (the name rules use), with their errors.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/config.h"

using namespace irulesd;

TEST_CASE("config: sys file ifile and ltm ifile give rules the file's bytes", "[config]") {
  char dir[] = "/tmp/irulesd_ifile_XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string folder = dir;
  std::ofstream(folder + "/sorry.html", std::ios::binary) << "<h1>down</h1>\n";
  const std::string conf = folder + "/bigip.conf";
  const std::string text =
      "ltm ifile /Common/sorry_page { file-name /Common/sorry.html }\n"
      "sys file ifile /Common/sorry.html { source-path file:sorry.html size 14 }\n"
      "sys file ifile /Common/abs { source-path file://" + folder + "/sorry.html }\n"
      "ltm ifile abs_page { file-name abs }\n";
  ConfigLoadResult r = parse_config(text, conf, folder);
  INFO((r.errors.empty() ? std::string() : r.errors[0].str()));
  REQUIRE(r.config);
  REQUIRE(r.config->find_ifile("sorry_page") != nullptr);
  CHECK(r.config->find_ifile("/Common/sorry_page")->content == "<h1>down</h1>\n");
  CHECK(r.config->find_ifile("abs_page")->content == "<h1>down</h1>\n");

  ConfigLoadResult bad = parse_config(
      "ltm ifile /Common/x { file-name /Common/nope }\n"
      "sys file ifile /Common/y { source-path file:missing.txt }\n"
      "sys file ifile /Common/z { source-path http://example/z }\n",
      conf, folder);
  REQUIRE(bad.errors.size() == 3);
  CHECK(bad.errors[0].str() == conf + ":1: ltm ifile /Common/x: file-name /Common/nope is not a sys file ifile of this config");
  CHECK(bad.errors[1].str() == conf + ":2: sys file ifile /Common/y: cannot read source-path " + folder + "/missing.txt");
  CHECK(bad.errors[2].str() == conf + ":3: sys file ifile /Common/z: source-path must be a file: URL, not http://example/z");
  std::remove((folder + "/sorry.html").c_str());
  rmdir(dir);
}
