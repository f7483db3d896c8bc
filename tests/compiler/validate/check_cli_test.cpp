// `vmforge check`: exit status 0 valid / 1 diagnostics / 2 usage, diagnostics on stderr.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "tests/support/source_tree.hpp"

namespace {

struct Run {
  int status;
  std::string out;
  std::string err;
};

Run run_vmforge(const std::string& command, const std::string& args) {
  const char* binary = std::getenv("VMFORGE_BINARY");
  REQUIRE(binary != nullptr);
  char dir[] = "/tmp/vmforge-check-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string out = std::string(dir) + "/out";
  std::string err = std::string(dir) + "/err";
  // bash, not sh: the plan test hands a manifest over as <(...).
  std::string line = std::string(binary) + " " + command + " " + args + " >" + out + " 2>" + err;
  int raw = std::system(("bash -c '" + line + "'").c_str());
  Run run{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, vmforge::test::file_text(out), vmforge::test::file_text(err)};
  std::system((std::string("rm -rf ") + dir).c_str());
  return run;
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = "/tmp/vmforge-check-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Run check(const std::string& args) { return run_vmforge("check", args); }

std::string source(const std::string& relative) { return vmforge::test::source_path(relative).string(); }

}  // namespace

TEST_CASE("vmforge check exits 0 on a valid manifest", "[compiler]") {
  Run run = check(source("examples/demo.toml"));
  CHECK(run.status == 0);
  CHECK(run.out.find("ok ('demo')") != std::string::npos);
  CHECK(run.err.empty());
  CHECK(check("--quiet " + source("examples/demo.toml")).out.empty());
}

TEST_CASE("vmforge check exits 1 with the diagnostics on stderr", "[compiler]") {
  Run run = check(source("tests/compiler/validate/bad/unknown-key.toml"));
  CHECK(run.status == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find(": error: unknown key 'fromat' in [[disk]]; did you mean 'format'?") != std::string::npos);
  Run missing = check("/nonexistent/vmforge.toml");
  CHECK(missing.status == 1);
  CHECK(missing.err ==
        "/nonexistent/vmforge.toml: error: Failed to open '/nonexistent/vmforge.toml': No such file or directory\n");
}

TEST_CASE("vmforge check exits 2 on usage errors and 0 on --help", "[compiler]") {
  CHECK(check("").status == 2);
  CHECK(check("a.toml b.toml").status == 2);
  CHECK(check("--frobnicate a.toml").status == 2);
  Run help = check("--help");
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: vmforge check FILE") == 0);
}

TEST_CASE("check --json gives the outcome and every diagnostic as data", "[compiler]") {
  Run good = check("--json " + source("examples/demo.toml"));
  CHECK(good.status == 0);
  auto ok = vmforge::parse_json(good.out);
  REQUIRE(ok);
  CHECK(ok->get_bool("valid") == true);
  CHECK(ok->get_string("name") == "demo");
  CHECK(ok->find("diagnostics")->as_array()->empty());

  const std::string bad_path = source("tests/compiler/validate/bad/unknown-key.toml");
  Run bad = check("--json " + bad_path);
  CHECK(bad.status == 1);
  CHECK(bad.err.empty());
  auto refused = vmforge::parse_json(bad.out);
  REQUIRE(refused);
  CHECK(refused->get_bool("valid") == false);
  CHECK_FALSE(refused->find("name"));
  const vmforge::JsonArray& diagnostics = *refused->find("diagnostics")->as_array();
  REQUIRE(diagnostics.size() == 1);
  const vmforge::JsonValue& d = diagnostics.front();
  // The same place and words as the text form.
  CHECK_THAT(check(bad_path).err, Catch::StartsWith(fmt::format("{}:{}:{}: {}: {}", *d.get_string("file"),
                                                                *d.get_int64("line"), *d.get_int64("column"),
                                                                *d.get_string("severity"), *d.get_string("message"))));
}

TEST_CASE("vmforge help COMMAND is COMMAND --help; --version prints the version", "[compiler]") {
  CHECK(run_vmforge("help", "check").out == check("--help").out);
  CHECK(run_vmforge("help", "").out.find("Usage: vmforge COMMAND") != std::string::npos);
  Run version = run_vmforge("--version", "");
  CHECK(version.status == 0);
  CHECK(version.out == run_vmforge("version", "").out);
  CHECK(version.out.find("vmforge ") == 0);
}

// Whatever compile refuses, check refuses, with the same words: every bad manifest, including
// those only lowering refuses (a full root bus, an option ROM on a bridge).
TEST_CASE("check and compile refuse every bad manifest alike", "[compiler]") {
  namespace fs = std::filesystem;
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(source("tests/compiler/validate/bad"))) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    Run checked = check(entry.path().string());
    Run compiled = run_vmforge("compile", entry.path().string());
    Run as_data = check("--json " + entry.path().string());
    CHECK(checked.status == 1);
    CHECK(as_data.status == 1);
    CHECK(as_data.out.find("\"valid\":false") != std::string::npos);
    CHECK(compiled.status == 1);
    CHECK(checked.err == compiled.err);
    ++count;
  }
  CHECK(count >= 85);
}

TEST_CASE("check refuses 10,000 hot-plug disks as compile does", "[compiler]") {
  std::string text = "name = \"many\"\n[machine]\nhotplug_slots = 8\n";
  for (int i = 0; i < 10000; ++i) text += fmt::format("[[disk]]\nid = \"d{}\"\nfile = \"d.img\"\nhotplug = true\n", i);
  const std::string path = write_temp("many.toml", text);
  Run checked = check(path);
  CHECK(checked.status == 1);
  CHECK(checked.err == run_vmforge("compile", path).err);
  CHECK_FALSE(checked.err.empty());
  std::remove(path.c_str());
}

TEST_CASE("check refuses nesting deeper than the limit instead of crashing", "[compiler]") {
  std::string parts = "a";
  for (int i = 1; i < 8000; ++i) parts += ".a";
  const std::string header = write_temp("deep-header.toml", "name = \"x\"\n[" + parts + "]\n");
  Run run = check(header);
  CHECK(run.status == 1);
  CHECK(run.err.rfind(header + ":2:130: error: the manifest nests tables, arrays or dotted keys more than 64 levels "
                               "deep here; vmforge reads no deeper (a manifest needs about 5)\n",
                      0) == 0);
  const std::string dotted = write_temp("deep-key.toml", "name = \"x\"\n" + parts + " = 1\n");
  CHECK(check(dotted).status == 1);
  CHECK(check(dotted).err.find("more than 64 levels deep") != std::string::npos);
  std::remove(header.c_str());
  std::remove(dotted.c_str());
}

TEST_CASE("check refuses a device or a FIFO as the manifest, at once", "[compiler]") {
  Run zero = check("/dev/zero");
  CHECK(zero.status == 1);
  CHECK(zero.err ==
        "/dev/zero: error: Failed to read '/dev/zero': it is a character device, not a regular file or a pipe\n");
  const std::string fifo = "/tmp/vmforge-check-fifo-" + std::to_string(getpid());
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  Run named = check(fifo);
  CHECK(named.status == 1);
  CHECK(named.err.find("it is a named FIFO") != std::string::npos);
  std::remove(fifo.c_str());
  // A pipe (process substitution) is still read.
  Run piped = run_vmforge("check", "<(cat " + source("examples/demo.toml") + ")");
  CHECK(piped.status == 0);
}

// Before, the old manifest's "disk.img" resolved to /dev/fd/disk.img: a false replacement.
TEST_CASE("plan --from a pipe reads the old manifest's relative paths as the new one's", "[compiler]") {
  const std::string path =
      write_temp("from.toml", "name = \"from\"\n[machine]\naccel = [\"tcg\"]\n[[disk]]\nid = \"d1\"\n"
                              "file = \"disk.img\"\nhotplug = true\n");
  Run run = run_vmforge("plan", path + " --from <(cat " + path + ")");
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  std::remove(path.c_str());
}
