#include "cli/docgen/completion.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace vmforge::docgen {
namespace {

enum class Operand { none, vm, manifest };

// What the first operand of `synopsis` ("vmforge stop NAME [...]") is.
Operand operand_of(const CommandDoc& c) {
  std::string_view rest = c.help.synopsis;
  std::string prefix = fmt::format("vmforge {} ", c.command.name);
  if (!rest.starts_with(prefix)) return Operand::none;
  rest.remove_prefix(prefix.size());
  if (rest.starts_with("[")) rest.remove_prefix(1);
  if (rest.starts_with("NAME")) return Operand::vm;
  if (rest.starts_with("FILE") || rest.starts_with("DIR")) return Operand::manifest;
  return Operand::none;
}

// The placeholder of an option's value: the synopsis's when it lists the choices
// ("[--format json|shell|lines]"), else the option line's ("--runtime-dir DIR" -> "DIR").
std::string placeholder(const CommandDoc& c, const HelpOption& o) {
  const std::string& synopsis = c.help.synopsis;
  std::size_t in_synopsis = synopsis.find(o.long_name + " ");
  if (in_synopsis != std::string::npos) {
    std::size_t from = in_synopsis + o.long_name.size() + 1;
    std::string word = synopsis.substr(from, synopsis.find_first_of(" ]", from) - from);
    if (word.find('|') != std::string::npos) return word;
  }
  std::size_t at = o.spec.find(o.long_name);
  if (at == std::string::npos) return {};
  std::string rest = o.spec.substr(at + o.long_name.size());
  if (!rest.empty() && (rest.front() == ' ' || rest.front() == '=')) rest.erase(0, 1);
  return rest.substr(0, rest.find(' '));
}

bool wants_directory(const std::string& value) { return value == "DIR"; }
// "json|shell|lines": the value is one of these words.
bool is_choice(const std::string& value) { return value.find('|') != std::string::npos; }
std::string choice_words(std::string value) {
  for (char& c : value) {
    if (c == '|') c = ' ';
  }
  return value;
}
bool wants_file(const std::string& value) {
  return value == "FILE" || value == "ISO" || value == "PATH" || value.ends_with(".toml");
}

std::vector<std::string> option_names(const CommandDoc& c) {
  std::vector<std::string> names;
  for (const HelpOption& o : c.help.options) {
    if (!o.long_name.empty()) names.push_back(o.long_name);
  }
  return names;
}

std::vector<std::string_view> command_names(const std::vector<CommandDoc>& commands) {
  std::vector<std::string_view> names;
  for (const CommandDoc& c : commands) names.push_back(c.command.name);
  return names;
}

// zsh: the first sentence of `text` inside '...'; `escaped` characters get a backslash
// (an _arguments "--opt[description]" needs it for '[', ']' and ':').
std::string zsh_text(std::string_view text, std::string_view escaped = "") {
  std::string out;
  for (char c : text.substr(0, text.find(". "))) {
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    if (escaped.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

constexpr std::string_view kBashVms =
    R"(# VM names: the state directories under the runtime root, found as vmforge finds it.
_vmforge_vms() {
    local root=${VMFORGE_RUNTIME_DIR:-} i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == --runtime-dir ]] && root=${COMP_WORDS[i + 1]}
    done
    if [[ -z $root ]]; then
        if ((EUID == 0)); then root=/run/vmforge; else root=${XDG_RUNTIME_DIR:-/run/user/$EUID}/vmforge; fi
    fi
    local dir
    for dir in "$root"/*/; do
        [[ -d $dir ]] && dir=${dir%/} && printf '%s\n' "${dir##*/}"
    done
}
)";

}  // namespace

std::string bash_completion(const std::vector<CommandDoc>& commands) {
  std::string out = "# bash completion for vmforge, generated from its command table (cli/docgen).\n";
  out += kBashVms;
  out += "\n_vmforge() {\n";
  out += "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n";
  out += fmt::format("    local commands='{}'\n", fmt::join(command_names(commands), " "));
  out += "    COMPREPLY=()\n";
  out += "    if ((COMP_CWORD == 1)); then\n"
         "        mapfile -t COMPREPLY < <(compgen -W \"$commands help --help --version\" -- \"$cur\")\n"
         "        return\n    fi\n";
  out += "    case ${COMP_WORDS[1]} in\n";
  out += "    help)\n        ((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W \"$commands\" -- \"$cur\")\n"
         "        return ;;\n";
  for (const CommandDoc& c : commands) {
    out += fmt::format("    {})\n", c.command.name);
    out += "        case $prev in\n";
    for (const HelpOption& o : c.help.options) {
      if (!o.takes_value) continue;
      std::string value = placeholder(c, o);
      std::string action =
          wants_directory(value) ? "compopt -o filenames; mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")"
          : wants_file(value)    ? "compopt -o filenames; mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")"
          : is_choice(value) ? fmt::format("mapfile -t COMPREPLY < <(compgen -W '{}' -- \"$cur\")", choice_words(value))
                             : ":";
      out += fmt::format("        {}) {}; return ;;\n", o.long_name, action);
    }
    out += "        esac\n";
    out += fmt::format("        if [[ $cur == -* ]]; then\n"
                       "            mapfile -t COMPREPLY < <(compgen -W '{}' -- \"$cur\")\n"
                       "            return\n        fi\n",
                       fmt::join(option_names(c), " "));
    switch (operand_of(c)) {
      case Operand::vm: out += "        mapfile -t COMPREPLY < <(compgen -W \"$(_vmforge_vms)\" -- \"$cur\")\n"; break;
      case Operand::manifest:
        out += "        compopt -o filenames\n"
               "        mapfile -t COMPREPLY < <(compgen -f -X '!*.toml' -- \"$cur\"; compgen -d -- \"$cur\")\n";
        break;
      case Operand::none: break;
    }
    out += "        ;;\n";
  }
  out += "    esac\n}\ncomplete -F _vmforge vmforge\n";
  return out;
}

std::string zsh_completion(const std::vector<CommandDoc>& commands) {
  std::string out =
      "#compdef vmforge\n# zsh completion for vmforge, generated from its command table (cli/docgen).\n\n";
  out +=
      "# VM names: the state directories under the runtime root, found as vmforge finds it.\n"
      "_vmforge_vms() {\n"
      "    local root=${opt_args[--runtime-dir]:-${VMFORGE_RUNTIME_DIR:-}}\n"
      "    if [[ -z $root ]]; then\n"
      "        if (( EUID == 0 )); then root=/run/vmforge; else root=${XDG_RUNTIME_DIR:-/run/user/$EUID}/vmforge; fi\n"
      "    fi\n"
      "    local -a vms\n"
      "    vms=( $root/*(N/:t) )\n"
      "    _describe -t vms 'VM' vms\n"
      "}\n\n";
  out += "_vmforge() {\n    local -a commands\n    commands=(\n";
  for (const CommandDoc& c : commands) {
    out += fmt::format("        '{}:{}'\n", c.command.name, zsh_text(c.command.summary));
  }
  out += "    )\n";
  out += "    if (( CURRENT == 2 )); then\n        _describe -t commands 'vmforge command' commands\n        return\n  "
         "  fi\n";
  out += "    local command=$words[2]\n    shift words\n    (( CURRENT-- ))\n";
  out += "    local -A opt_args\n    case $command in\n";
  out += "    help) _describe -t commands 'vmforge command' commands ;;\n";
  for (const CommandDoc& c : commands) {
    out += fmt::format("    {})\n        _arguments -s", c.command.name);
    for (const HelpOption& o : c.help.options) {
      if (o.long_name.empty()) continue;
      std::string value = placeholder(c, o);
      std::string spec = fmt::format("{}[{}]", o.long_name, zsh_text(o.description, "[]:"));
      if (o.takes_value) {
        spec += fmt::format(":{}:{}", zsh_text(value, ":"),
                            wants_directory(value) ? "_files -/"
                            : wants_file(value)    ? "_files"
                            : is_choice(value)     ? fmt::format("({})", choice_words(value))
                                                   : " ");
      }
      out += fmt::format(" \\\n            '{}'", spec);
    }
    switch (operand_of(c)) {
      case Operand::vm: out += " \\\n            ':VM:_vmforge_vms'"; break;
      case Operand::manifest: out += " \\\n            ':manifest:_files -g \"*.toml\"'"; break;
      case Operand::none: break;
    }
    out += " ;;\n";
  }
  out += "    esac\n}\n\n_vmforge \"$@\"\n";
  return out;
}

}  // namespace vmforge::docgen
