// Shell and line renderings of a command line.
#include <catch2/catch.hpp>

#include "compiler/plan/argv_format.hpp"

using namespace vmforge;

TEST_CASE("shell_quote leaves plain words alone and single-quotes the rest", "[compiler]") {
  CHECK(shell_quote("-machine") == "-machine");
  CHECK(shell_quote("q35,accel=tcg") == "q35,accel=tcg");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("{\"id\":\"a b\"}") == "'{\"id\":\"a b\"}'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$HOME;rm") == "'$HOME;rm'");
  CHECK(shell_quote("a\nb") == "'a\nb'");
}

TEST_CASE("render_shell and render_lines start with the QEMU binary", "[compiler]") {
  Plan plan;
  plan.qemu_binary = "qemu-system-x86_64";
  plan.argv = {"-S", "-device", "{\"driver\":\"virtio-rng-pci\",\"id\":\"rng 0\"}"};
  CHECK(render_shell(plan) == "qemu-system-x86_64 -S -device '{\"driver\":\"virtio-rng-pci\",\"id\":\"rng 0\"}'\n");
  CHECK(render_lines(plan) == "qemu-system-x86_64\n-S\n-device\n{\"driver\":\"virtio-rng-pci\",\"id\":\"rng 0\"}\n");
}
