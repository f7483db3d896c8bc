// `vmforge compile`: the three formats, and exit status 1 / 2 with messages on stderr.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/source_tree.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/vmforge_cli.hpp"

using namespace vmforge;

namespace {

test::CliResult compile(std::vector<std::string> args) {
  args.insert(args.begin(), "compile");
  return test::run_vmforge(args, std::chrono::seconds(20));
}

std::string example(const std::string& name) { return test::source_path("examples/" + name).string(); }

}  // namespace

TEST_CASE("compile prints the plan JSON by default", "[compiler][cli]") {
  test::CliResult run = compile({example("demo.toml")});
  CHECK(run.status == 0);
  CHECK(run.err.empty());
  CHECK(run.out.rfind("{\n  \"name\": \"demo\",\n  \"qemu\": \"qemu-system-x86_64\",\n  \"argv\": [\n", 0) == 0);
  CHECK(run.out.find("\"manifest_sha256\": ") != std::string::npos);
  CHECK(compile({"--format=json", example("demo.toml")}).out == run.out);
}

TEST_CASE("compile --format shell prints one quoted command line", "[compiler][cli]") {
  test::CliResult run = compile({"--format", "shell", example("demo.toml")});
  CHECK(run.status == 0);
  CHECK(run.out.rfind("qemu-system-x86_64 -name guest=demo -machine q35,graphics=off -accel tcg ", 0) == 0);
  CHECK(run.out.find("-append 'console=ttyS0 panic=-1'") != std::string::npos);
  CHECK(run.out.find("-device '{\"driver\":\"isa-serial\",\"id\":\"console\",\"chardev\":\"console.char\"}'") !=
        std::string::npos);
  CHECK(run.out.find('\n') == run.out.size() - 1);
}

TEST_CASE("compile --format lines prints one argument per line", "[compiler][cli]") {
  test::CliResult run = compile({"--format", "lines", example("demo.toml")});
  CHECK(run.status == 0);
  CHECK(run.out.rfind("qemu-system-x86_64\n-name\nguest=demo\n-machine\nq35,graphics=off\n", 0) == 0);
  CHECK(run.out.find("\n-append\nconsole=ttyS0 panic=-1\n") != std::string::npos);
}

TEST_CASE("compile warns about raw extra arguments on stderr", "[compiler][cli]") {
  test::CliResult run = compile({"--format", "lines", example("pc-legacy.toml")});
  CHECK(run.status == 0);
  CHECK(run.err ==
        "vmforge compile: warning: the manifest passes raw arguments to QEMU that vmforge does not check: -msg "
        "timestamp=on\n");
  CHECK(run.out.find("\n-msg\ntimestamp=on\n") != std::string::npos);
}

TEST_CASE("compile exits 1 with positioned diagnostics for a bad manifest", "[compiler][cli]") {
  auto dir = test::temp_dir();
  const std::string path = dir.file("bad.toml");
  std::ofstream(path) << "name = \"bad\"\n[machine]\ntype = \"q35\"\nhotplug_slots = \"many\"\n";
  test::CliResult run = compile({path});
  CHECK(run.status == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find(path + ":4:") != std::string::npos);
  CHECK(run.err.find(": error: ") != std::string::npos);
  test::CliResult missing = compile({dir.file("missing.toml")});
  CHECK(missing.status == 1);
  CHECK(missing.err.find("Failed to open") != std::string::npos);
}

TEST_CASE("compile usage errors exit 2", "[compiler][cli]") {
  CHECK(compile({}).status == 2);
  test::CliResult format = compile({"--format", "xml", example("demo.toml")});
  CHECK(format.status == 2);
  CHECK(format.err.find("unknown format 'xml': use json, shell or lines") != std::string::npos);
  CHECK(compile({"--frob", example("demo.toml")}).status == 2);
  CHECK(compile({example("demo.toml"), example("demo.toml")}).status == 2);
  test::CliResult help = compile({"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.rfind("Usage: vmforge compile FILE [--format json|shell|lines]\n", 0) == 0);
}
