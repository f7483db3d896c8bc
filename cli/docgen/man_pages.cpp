#include "cli/docgen/man_pages.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/docgen/roff.hpp"
#include "compiler/manifest/keys.hpp"
#include "compiler/model/units.hpp"

namespace vmforge::docgen {
namespace {

std::string header(std::string_view title, int section, std::string_view version, std::string_view manual) {
  // No hyphenation, ragged right: names, paths and options stay whole and readable.
  return fmt::format(".TH {} {} \"\" \"vmforge {}\" \"{}\"\n.nh\n.ad l\n", title, section, version, manual);
}

void blocks(std::string& out, const std::vector<HelpBlock>& blocks) {
  for (const HelpBlock& b : blocks) {
    out += b.verbatim ? ".PP\n.nf\n" : ".PP\n";
    for (const std::string& line : b.lines) out += roff(line) + "\n";
    if (b.verbatim) out += ".fi\n";
  }
}

std::string_view type_name(KeyType type) {
  switch (type) {
    case KeyType::string: return "string";
    case KeyType::integer: return "integer";
    case KeyType::boolean: return "boolean";
    case KeyType::size: return "size";
    case KeyType::duration: return "duration";
    case KeyType::string_array: return "array of strings";
    case KeyType::integer_array: return "array of integers";
    case KeyType::table: return "table";
    case KeyType::table_array: return "array of tables";
    case KeyType::free_table: return "table of any keys";
  }
  return "value";
}

std::string range_text(const KeyRange& r) {
  if (r.max == KeyRange{}.max) return fmt::format("at least {}", r.min);
  return fmt::format("{} to {}", r.min, r.max);
}

std::string default_text(const KeySpec& key) {
  const KeyDefault& d = key.fallback;
  switch (d.kind()) {
    case KeyDefault::Kind::none: return {};
    case KeyDefault::Kind::boolean: return d.boolean() ? "true" : "false";
    case KeyDefault::Kind::integer:
      if (key.type == KeyType::size) return ByteSize(static_cast<std::uint64_t>(d.integer())).to_string();
      if (key.type == KeyType::duration) return Duration(std::chrono::milliseconds(d.integer())).to_string();
      return std::to_string(d.integer());
    case KeyDefault::Kind::text: return fmt::format("\"{}\"", d.text());
    case KeyDefault::Kind::texts: return fmt::format("[{}]", fmt::join(d.texts(), ", "));
  }
  return {};
}

void key_entry(std::string& out, const KeySpec& key) {
  std::string type(type_name(key.type));
  if (key.type == KeyType::table || key.type == KeyType::table_array || key.type == KeyType::free_table) {
    if (const TableSpec* sub = find_table_spec(key.table())) type += fmt::format(", see {}", sub->display);
  }
  out += fmt::format(".TP\n{} ({})\n", bold(key.name), roff(type));
  std::string text(key.description);
  if (!key.choices().empty()) text += fmt::format(" One of: {}.", fmt::join(key.choices(), ", "));
  if (auto range = key.range())
    text += fmt::format(" {}: {}.", key.type == KeyType::integer_array ? "Each item" : "Range", range_text(*range));
  if (auto count = key.count()) text += fmt::format(" Items: {}.", range_text(*count));
  if (auto length = key.length()) text += fmt::format(" Length in bytes: {}.", range_text(*length));
  if (std::string d = default_text(key); !d.empty()) text += fmt::format(" Default: {}.", d);
  out += roff(text) + "\n";
}

}  // namespace

std::string vmforge_1(std::string_view version, const std::vector<CommandDoc>& commands) {
  std::string out = header("VMFORGE", 1, version, "User Commands");
  out += ".SH NAME\nvmforge \\- declarative QEMU virtual machines\n";
  out += ".SH SYNOPSIS\n.B vmforge\n.I COMMAND\n.RI [ ARGS ...]\n.br\n.B vmforge help\n.I COMMAND\n";
  out += ".SH DESCRIPTION\n"
         "vmforge runs QEMU virtual machines described by TOML manifests (see\n"
         ".BR vmforge.toml (5)).\n"
         "Each running VM has a supervisor,\n"
         ".BR \"vmforge run\" ,\n"
         "usually started by\n"
         ".BR vmforge@.service (8),\n"
         "which the other commands reach through the control socket in the VM's state directory.\n";
  out += ".SH COMMANDS\n";
  for (const CommandDoc& c : commands) {
    out += fmt::format(".SS {}\n", roff(c.command.name));
    out += fmt::format(".B {}\n.PP\n{}.\n", roff(c.help.synopsis), roff(c.command.summary));
    blocks(out, c.help.blocks);
    for (const HelpOption& o : c.help.options) out += fmt::format(".TP\n{}\n{}\n", bold(o.spec), roff(o.description));
  }
  out += ".SH ENVIRONMENT\n.TP\n.B VMFORGE_RUNTIME_DIR\n"
         "The root of the per-VM state directories, when no \\fB\\-\\-runtime\\-dir\\fR is given.\n";
  out += ".SH SEE ALSO\n.BR vmforge.toml (5),\n.BR vmforge@.service (8),\n.BR qemu\\-system\\-x86_64 (1)\n";
  return out;
}

std::string vmforge_toml_5(std::string_view version) {
  std::string out = header("VMFORGE.TOML", 5, version, "File Formats");
  out += ".SH NAME\nvmforge.toml \\- the manifest of a vmforge virtual machine\n";
  out += ".SH DESCRIPTION\n"
         "A manifest is a TOML file that describes one VM: its machine, CPUs, memory, boot, devices\n"
         "and how vmforge runs it.\n"
         ".B vmforge check\n"
         "validates one, printing every problem as FILE:LINE:COLUMN.\n"
         "Sizes are integers of bytes or text such as \"512M\" or \"2G\"; durations are text such as \"30s\".\n"
         "A table written [[name]] may appear any number of times.\n";
  out += ".SH TABLES AND KEYS\n";
  for (const TableSpec& table : manifest_tables()) {
    out += fmt::format(".SS {}\n", roff(table.display));
    if (table.keys.empty()) out += "Any keys, passed to QEMU as they are.\n";
    for (const KeySpec& key : table.keys) key_entry(out, key);
  }
  out += ".SH SEE ALSO\n.BR vmforge (1),\n.BR vmforge@.service (8)\n";
  return out;
}

std::string vmforge_service_8(std::string_view version, std::string_view unit) {
  std::string out = header("VMFORGE@.SERVICE", 8, version, "System Administration");
  out += ".SH NAME\nvmforge@.service \\- a vmforge virtual machine as a systemd service\n";
  out += ".SH SYNOPSIS\n.B vmforge@\\fINAME\\fB.service\n";
  out += ".SH DESCRIPTION\n";
  // The unit's own header comment says what it does; the page quotes it, then the unit.
  out += ".nf\n";
  std::string_view rest = unit;
  while (rest.starts_with("#")) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    line.remove_prefix(line.starts_with("# ") ? 2 : 1);
    out += roff(line) + "\n";
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  out += ".fi\n";
  out += ".PP\n"
         "The supervisor notifies systemd once the guest runs (Type=notify), pings its watchdog\n"
         "while QEMU answers, and registers the VM with systemd\\-machined\n"
         "(\\fBmachinectl list\\fR). Its log, QEMU's own output and the QMP events are in\n"
         "\\fBjournalctl \\-u vmforge@\\fINAME\\fR. The state directory /run/vmforge/\\fINAME\\fR holds\n"
         "the control socket that \\fBvmforge\\fR(1) uses, and console.log when the manifest has a console.\n";
  out += ".SH UNIT FILE\n.nf\n";
  for (std::size_t start = 0; start < unit.size();) {
    std::size_t nl = unit.find('\n', start);
    std::string_view line = unit.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += roff(line) + "\n";
    start = nl == std::string_view::npos ? unit.size() : nl + 1;
  }
  out += ".fi\n";
  out += ".SH SEE ALSO\n.BR vmforge (1),\n.BR vmforge.toml (5),\n.BR systemd.service (5),\n.BR machinectl (1)\n";
  return out;
}

}  // namespace vmforge::docgen
