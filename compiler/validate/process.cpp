// Validation of how QEMU runs: [qemu], [knobs], [sandbox], [incoming], [[qmp_socket]],
// [[global]], [supervisor], [rtc] and [[fw_cfg]].
#include <set>
#include <utility>

#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

bool digits_at(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return false;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

/// QEMU's -rtc base datetime: "2006-06-17" or "2006-06-17T16:01:21".
bool is_rtc_datetime(std::string_view t) {
  bool date =
      t.size() >= 10 && digits_at(t, 0, 4) && t[4] == '-' && digits_at(t, 5, 2) && t[7] == '-' && digits_at(t, 8, 2);
  if (!date) return false;
  if (t.size() == 10) return true;
  return t.size() == 19 && t[10] == 'T' && digits_at(t, 11, 2) && t[13] == ':' && digits_at(t, 14, 2) && t[16] == ':' &&
         digits_at(t, 17, 2);
}

// sun_path holds 108 bytes including the terminating NUL (qemu-facts §1.4).
constexpr std::size_t kMaxSocketPath = 107;

void validate_qemu(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "qemu", ctx);
  if (!f.present()) return;
  vm.origins.emplace("qemu", f.loc());
  if (auto binary = f.nonempty("binary")) {
    // A bare name is looked up in PATH at run time; anything with a slash is a path.
    vm.qemu.binary = binary->find('/') == std::string::npos ? *binary : f.ctx().resolve(*binary);
  }
  vm.qemu.pidfile = f.path("pidfile");
  vm.qemu.logfile = f.path("logfile");
  vm.qemu.extra_args = f.texts("extra_args");
  if (auto user = f.nonempty("user")) {
    vm.qemu.user = *user;
    for (std::string_view key : {"uid", "gid", "groups"}) {
      if (f.has(key)) f.error(key, fmt::format("[qemu]: '{}' and 'user' both say who QEMU runs as: keep one", key));
    }
  }
  if (auto uid = f.number("uid")) vm.qemu.uid = static_cast<std::uint32_t>(*uid);
  if (auto gid = f.number("gid")) vm.qemu.gid = static_cast<std::uint32_t>(*gid);
  const KeyRange groups = f.range("groups");
  for (std::int64_t group : f.integers("groups")) {
    if (group < groups.min || group > groups.max) {
      f.error("groups",
              fmt::format("[qemu]: 'groups' entries must be between {} and {}, not {}", groups.min, groups.max, group));
      continue;
    }
    vm.qemu.groups.push_back(static_cast<std::uint32_t>(group));
  }
  // Half a switch would leave QEMU with root's group (or root's user): refuse it.
  if (f.has("uid") && !f.has("gid")) {
    f.error("uid", "[qemu]: 'uid' without 'gid' would leave QEMU in group 0 (root): set 'gid' too");
  }
  if (f.has("gid") && !f.has("uid")) {
    f.error("gid", "[qemu]: 'gid' without 'uid' would leave QEMU running as root: set 'uid' too");
  }
  if (f.has("groups") && !(f.has("uid") && f.has("gid"))) {
    f.error("groups", "[qemu]: 'groups' needs 'uid' and 'gid' (the supplementary groups of that user)");
  }
}

void validate_knobs(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "knobs", ctx);
  if (!f.present()) return;
  vm.origins.emplace("knobs", f.loc());
  // Each [knobs] key sets the Knobs member of the same name.
  constexpr std::pair<std::string_view, bool Knobs::*> kKnobs[] = {
      {"no_user_config", &Knobs::no_user_config},
      {"no_defaults", &Knobs::no_defaults},
      {"no_graphic", &Knobs::no_graphic},
      {"no_reboot", &Knobs::no_reboot},
      {"no_shutdown", &Knobs::no_shutdown},
      {"stopped", &Knobs::stopped},
      {"mlock", &Knobs::mlock},
      {"iommu_platform", &Knobs::iommu_platform},
  };
  for (const auto& [key, member] : kKnobs) vm.knobs.*member = f.flag_or_default(key);
}

void validate_incoming(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "incoming", ctx);
  if (!f.present()) return;
  vm.origins.emplace("incoming", f.loc());
  Incoming in;
  if (f.require("mode")) in.kind = f.choice<IncomingKind>("mode").value_or(in.kind);
  f.only_if(in.kind == IncomingKind::fd, "fd", "mode 'fd'");
  f.only_if(in.kind == IncomingKind::exec, "command", "mode 'exec'");
  f.only_if(in.kind == IncomingKind::uri, "uri", "mode 'uri'");
  switch (in.kind) {
    case IncomingKind::defer: break;
    case IncomingKind::fd:
      if (f.require("fd")) in.fd = read_fd_number(f, "fd").value_or(in.fd);
      break;
    case IncomingKind::exec:
      if (f.require("command")) in.command = f.nonempty("command").value_or("");
      break;
    case IncomingKind::uri:
      if (f.require("uri")) {
        in.uri = f.nonempty("uri").value_or("");
        std::string_view uri = in.uri;
        bool known = uri.substr(0, 5) == "unix:" || uri.substr(0, 4) == "tcp:" || uri.substr(0, 5) == "rdma:";
        if (!in.uri.empty() && !known) {
          f.error("uri", fmt::format("[incoming]: 'uri' must start with 'unix:', 'tcp:' or 'rdma:' (use mode "
                                     "'fd' or 'exec' for those), not {}",
                                     quote_text(in.uri)));
        }
      }
      break;
  }
  vm.incoming = std::move(in);
}

void validate_qmp_sockets(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "qmp_socket", ctx, [&](Fields& f) {
    QmpSocket s;
    if (f.require("path")) s.path = read_socket_path(f, "path").value_or("");
    s.server = f.flag_or_default("server");
    vm.qmp_sockets.push_back(std::move(s));
  });
}

void validate_globals(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "global", ctx, [&](Fields& f) {
    GlobalParam g;
    for (std::string_view key : {"driver", "property"}) {
      if (!f.require(key)) continue;
      std::string value = f.text(key).value_or("");
      if (!is_name_text(value, "._-")) {
        f.error(key, fmt::format("[[global]]: '{}' must be a QEMU name (letters, digits, '.', '_', '-'), not {}", key,
                                 quote_text(value)));
      }
      (key == "driver" ? g.driver : g.property) = std::move(value);
    }
    if (f.require("value")) g.value = f.text("value").value_or("");
    vm.globals.push_back(std::move(g));
  });
}

void validate_supervisor(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "supervisor", ctx);
  if (!f.present()) return;
  vm.origins.emplace("supervisor", f.loc());
  if (auto timeout = f.duration("shutdown_timeout")) {
    if (timeout->ms().count() == 0) {
      f.error("shutdown_timeout", "[supervisor]: 'shutdown_timeout' must be longer than 0s");
    } else {
      vm.supervisor.shutdown_timeout = *timeout;
    }
  }
  vm.supervisor.autostart = f.flag("autostart");
}

void validate_migration(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "migration", ctx);
  if (!f.present()) return;
  vm.origins.emplace("migration", f.loc());
  MigrationSettings& m = vm.migration;
  m.auto_converge = f.flag_or_default("auto_converge");
  m.postcopy = f.flag_or_default("postcopy");
  m.postcopy_after_passes = static_cast<std::uint32_t>(f.number_or_default("postcopy_after_passes"));
  m.bandwidth = f.size("bandwidth");
  m.downtime_limit = f.duration("downtime_limit");
  m.multifd = static_cast<std::uint32_t>(f.number_or_default("multifd"));
}

// Read by the supervisor after each backup; not on QEMU's command line, so not a restart reason.
void validate_backup(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "backup", ctx);
  if (!f.present()) return;
  vm.origins.emplace("backup", f.loc());
  if (auto keep = f.number("keep")) vm.backup.keep = static_cast<std::uint32_t>(*keep);
}

// Whether QEMU must start programs: tap scripts, `[incoming] mode = "exec"`.
bool spawns_programs(const Vm& vm) {
  for (const Net& n : vm.nets) {
    if (n.script || n.downscript) return true;
  }
  return vm.incoming && vm.incoming->kind == IncomingKind::exec;
}

}  // namespace

// On by default, as libvirt does; `spawn` is allowed by default only when QEMU has programs
// to start, and a manifest that denies it then is refused (QEMU would fail at the script).
void validate_sandbox(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "sandbox", ctx);
  Sandbox s;
  if (spawns_programs(vm)) s.spawn = SandboxPolicy::allow;
  if (!f.present()) {
    vm.sandbox = s;
    return;
  }
  vm.origins.emplace("sandbox", f.loc());
  s.enabled = f.flag_or_default("enabled");
  auto policy = [&](std::string_view key, SandboxPolicy fallback, bool children_ok) {
    SandboxPolicy p = f.choice<SandboxPolicy>(key).value_or(fallback);
    if (p == SandboxPolicy::children && !children_ok) {
      f.error(key, fmt::format("[sandbox]: '{}' can be 'allow' or 'deny'; only 'elevate_privileges' has "
                               "'children'",
                               key));
    }
    return p;
  };
  s.obsolete = policy("obsolete", s.obsolete, false);
  s.elevate_privileges = policy("elevate_privileges", s.elevate_privileges, true);
  s.spawn = policy("spawn", s.spawn, false);
  s.resource_control = policy("resource_control", s.resource_control, false);
  if (s.enabled && s.spawn == SandboxPolicy::deny && spawns_programs(vm)) {
    f.error("spawn", "[sandbox]: 'spawn' = 'deny' stops QEMU from running the tap scripts or the "
                     "[incoming] command this manifest names: allow it or remove them");
  }
  vm.sandbox = s;
}

std::optional<int> checked_fd(const Fields& fields, std::string_view key, std::int64_t fd) {
  const KeyRange fds = fields.range(key);
  if (fd < fds.min || fd > fds.max) {
    fields.error(key, fmt::format("{}: '{}' must name file descriptors from {} to {}, not {} (0-2 are stdio, 3 is "
                                  "the QMP socket vmforge passes QEMU)",
                                  fields.owner(), key, fds.min, fds.max, fd));
    return std::nullopt;
  }
  return static_cast<int>(fd);
}

std::optional<int> read_fd_number(const Fields& fields, std::string_view key) {
  auto fd = fields.integer(key);
  if (!fd) return std::nullopt;
  return checked_fd(fields, key, *fd);
}

std::optional<std::string> read_socket_path(const Fields& fields, std::string_view key) {
  auto path = fields.path(key);
  if (path && path->size() > kMaxSocketPath) {
    fields.error(key, fmt::format("{}: the socket path is {} bytes; unix sockets allow at most {}", fields.owner(),
                                  path->size(), kMaxSocketPath));
    return std::nullopt;
  }
  return path;
}

void validate_process(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  validate_qemu(root, ctx, vm);
  validate_knobs(root, ctx, vm);
  validate_incoming(root, ctx, vm);
  validate_qmp_sockets(root, ctx, vm);
  validate_globals(root, ctx, vm);
  validate_supervisor(root, ctx, vm);
  validate_migration(root, ctx, vm);
  validate_backup(root, ctx, vm);
}

void validate_rtc(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "rtc", ctx);
  if (!f.present()) return;
  vm.origins.emplace("rtc", f.loc());
  Rtc rtc;
  if (auto base = f.text("base")) {
    if (auto named = enum_from_string<RtcBase>(*base); named && *named != RtcBase::datetime) {
      rtc.base = *named;
    } else if (is_rtc_datetime(*base)) {
      rtc.base = RtcBase::datetime;
      rtc.datetime = *base;
    } else {
      f.error("base", fmt::format("[rtc]: 'base' must be 'utc', 'localtime' or a date like '2006-06-17' or "
                                  "'2006-06-17T16:01:21', not {}",
                                  quote_text(*base)));
    }
  }
  rtc.clock = f.choice_or_default<RtcClock>("clock");
  rtc.driftfix = f.choice_or_default<RtcDriftFix>("driftfix");
  vm.rtc = std::move(rtc);
}

void validate_fw_cfg(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  // Names outside opt/ are QEMU's own.
  std::set<std::string> names;
  for_each_table(root, "fw_cfg", ctx, [&](Fields& f) {
    FwCfg entry;
    if (f.require("name")) {
      entry.name = f.text("name").value_or("");
      f.set_owner(fmt::format("fw_cfg {}", quote_text(entry.name)));
      if (entry.name.substr(0, 4) != "opt/" || entry.name.size() == 4) {
        f.error("name", fmt::format("{}: the name must start with 'opt/' (e.g. 'opt/com.example/blob'); other "
                                    "names belong to QEMU",
                                    f.owner()));
      } else if (static_cast<std::int64_t>(entry.name.size()) > f.length("name").max) {
        f.error("name", fmt::format("{}: the name is longer than {} bytes", f.owner(), f.length("name").max));
      } else if (!names.insert(entry.name).second) {
        f.error("name", fmt::format("{}: duplicate fw_cfg name", f.owner()));
      }
    }
    entry.file = f.path("file");
    entry.string = f.text("string");
    if (f.has("file") == f.has("string")) {
      f.ctx().error(f.loc(), fmt::format("{} needs exactly one of 'file' and 'string'", f.owner()));
    }
    vm.origins.emplace("fw_cfg:" + entry.name, f.loc());
    vm.fw_cfg.push_back(std::move(entry));
  });
}

}  // namespace vmforge
