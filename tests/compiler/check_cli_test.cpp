// `vmforge check`: exit status 0 valid / 1 diagnostics / 2 usage, diagnostics on stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

namespace {

struct Run {
  int status;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Run check(const std::string& args) {
  const char* binary = std::getenv("VMFORGE_BINARY");
  REQUIRE(binary != nullptr);
  char dir[] = "/tmp/vmforge-check-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string out = std::string(dir) + "/out";
  std::string err = std::string(dir) + "/err";
  int raw = std::system((std::string(binary) + " check " + args + " >" + out + " 2>" + err).c_str());
  Run run{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
  std::system((std::string("rm -rf ") + dir).c_str());
  return run;
}

std::string source(const std::string& relative) {
  const char* root = std::getenv("VMFORGE_SOURCE_DIR");
  REQUIRE(root != nullptr);
  return std::string(root) + "/" + relative;
}

}  // namespace

TEST_CASE("vmforge check exits 0 on a valid manifest", "[compiler]") {
  Run run = check(source("examples/demo.toml"));
  CHECK(run.status == 0);
  CHECK(run.out.find("ok ('demo')") != std::string::npos);
  CHECK(run.err.empty());
  CHECK(check("--quiet " + source("examples/demo.toml")).out.empty());
}

TEST_CASE("vmforge check exits 1 with the diagnostics on stderr", "[compiler]") {
  Run run = check(source("tests/compiler/bad/unknown-key.toml"));
  CHECK(run.status == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find(": error: unknown key 'fromat' in [[disk]]; did you mean 'format'?") != std::string::npos);
  Run missing = check("/nonexistent/vmforge.toml");
  CHECK(missing.status == 1);
  CHECK(missing.err == "/nonexistent/vmforge.toml: error: cannot read the manifest: No such file or directory\n");
}

TEST_CASE("vmforge check exits 2 on usage errors and 0 on --help", "[compiler]") {
  CHECK(check("").status == 2);
  CHECK(check("a.toml b.toml").status == 2);
  CHECK(check("--frobnicate a.toml").status == 2);
  Run help = check("--help");
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: vmforge check FILE") == 0);
}
