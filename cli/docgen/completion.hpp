// Shell completion scripts, generated at build time (cli/docgen/main.cpp) from the command
// table and each command's --help: commands, their options, option values (files,
// directories), VM names (the state directories under the runtime root) for commands whose
// synopsis takes a NAME, and manifests (*.toml, directories) for those that take a FILE.
#pragma once

#include <string>
#include <vector>

#include "cli/docgen/man_pages.hpp"

namespace vmforge::docgen {

std::string bash_completion(const std::vector<CommandDoc>& commands);
std::string zsh_completion(const std::vector<CommandDoc>& commands);

}  // namespace vmforge::docgen
