// vmforge-docgen: writes the man pages and shell completions into a directory at build time
// (meson's custom_target in cli/docgen/meson.build). Not installed.
// Usage: vmforge-docgen VMFORGE UNIT_FILE OUTDIR
//   VMFORGE       the built vmforge, asked for each command's --help
//   UNIT_FILE     the built vmforge@.service
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "cli/command_list.hpp"
#include "cli/docgen/completion.hpp"
#include "cli/docgen/man_pages.hpp"
#include "supervisor/launch/process.hpp"

namespace {

using namespace vmforge;

Result<std::string> help_of(const std::string& program, std::string_view command) {
  launch::SpawnOptions options;
  options.argv = {program, std::string(command), "--help"};
  options.capture_stdout = true;
  VMFORGE_TRY(launch::Process process, launch::spawn(options));
  VMFORGE_TRY(launch::ExitStatus status, process.wait(std::chrono::seconds(30)));
  if (!status.success()) {
    return unexpected(
        Error(fmt::format("'{} {} --help' {}: {}", program, command, status.describe(), process.stderr_text())));
  }
  return process.stdout_text();
}

bool write(const std::string& dir, const std::string& name, const std::string& text) {
  std::ofstream out(dir + "/" + name, std::ios::trunc);
  out << text;
  out.close();
  if (out.good()) return true;
  fmt::print(stderr, "vmforge-docgen: failed to write '{}/{}'.\n", dir, name);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: vmforge-docgen VMFORGE UNIT_FILE OUTDIR\n");
    return 2;
  }
  std::vector<docgen::CommandDoc> commands;
  for (const cli::Command& c : cli::kCommandList) {
    auto help = help_of(argv[1], c.name);
    if (!help) {
      fmt::print(stderr, "vmforge-docgen: {}\n", help.error().message);
      return 1;
    }
    commands.push_back({c, docgen::parse_help(c.name, *help)});
  }
  std::ifstream unit_in(argv[2]);
  std::stringstream unit;
  unit << unit_in.rdbuf();
  if (!unit_in.good()) {
    fmt::print(stderr, "vmforge-docgen: failed to read '{}'.\n", argv[2]);
    return 1;
  }
  const std::string dir = argv[3];
  const bool ok = write(dir, "vmforge.1", docgen::vmforge_1(VMFORGE_VERSION, commands)) &&
                  write(dir, "vmforge.toml.5", docgen::vmforge_toml_5(VMFORGE_VERSION)) &&
                  write(dir, "vmforge@.service.8", docgen::vmforge_service_8(VMFORGE_VERSION, unit.str())) &&
                  write(dir, "vmforge", docgen::bash_completion(commands)) &&
                  write(dir, "_vmforge", docgen::zsh_completion(commands));
  return ok ? 0 : 1;
}
