// The man pages, generated at build time (cli/docgen/main.cpp) from what the programs use:
// vmforge(1) from the command table and each command's --help, vmforge.toml(5) from the key
// table, vmforge@.service(8) from the unit file itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/command_list.hpp"
#include "cli/docgen/help_text.hpp"

namespace vmforge::docgen {

struct CommandDoc {
  cli::Command command;
  HelpText help;
};

std::string vmforge_1(std::string_view version, const std::vector<CommandDoc>& commands);
std::string vmforge_toml_5(std::string_view version);
/// `unit`: the text of the installed vmforge@.service.
std::string vmforge_service_8(std::string_view version, std::string_view unit);

}  // namespace vmforge::docgen
