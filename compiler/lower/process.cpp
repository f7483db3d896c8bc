// Lowering of process-level settings: knobs, display, QMP monitors, RTC, -global, sandbox,
// incoming migration, fw_cfg, pid/log files, and the manifest's raw arguments.
#include <fmt/format.h>

#include "compiler/lower/families.hpp"

namespace vmforge {
namespace {

void lower_knobs(LowerContext& ctx) {
  const Knobs& k = ctx.vm().knobs;
  if (k.no_user_config) ctx.flag("-no-user-config");
  if (k.no_defaults) ctx.flag("-nodefaults");
  // Paused: the supervisor applies the plan, then sends `cont` (unless `stopped`). A migration
  // target instead runs the VM itself once the migration brought it (QEMU waits in `inmigrate`
  // until then): `cont` there would take the disks' write locks the source still holds.
  if (!ctx.vm().incoming || k.stopped) ctx.flag("-S");
  // Not -nographic: without -nodefaults it would put a serial port and monitor on stdio.
  if (k.no_graphic) ctx.arg("-display", "none");
  if (k.no_reboot) ctx.flag("-no-reboot");
  if (k.no_shutdown) ctx.flag("-no-shutdown");
  // -realtime mlock= was removed in QEMU 6.0 (qemu-facts §9).
  if (k.mlock) ctx.arg("-overcommit", "mem-lock=on");
}

void add_monitor(LowerContext& ctx, const KvOption& chardev, std::string_view id, std::string_view resource) {
  ctx.kv("-chardev", chardev, resource);
  ctx.kv("-mon", KvOption().add("chardev", id).add("mode", "control"), resource);
}

void lower_monitors(LowerContext& ctx) {
  // The supervisor's monitor: a listening socket it created, inherited as fd 3.
  add_monitor(ctx,
              KvOption("socket")
                  .add("id", kQmpChardevId)
                  .add("fd", std::uint64_t{kQmpListenFd})
                  .on_off("server", true)
                  .on_off("wait", false),
              kQmpChardevId, "qemu");
  const auto& sockets = ctx.vm().qmp_sockets;
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    const std::string id = fmt::format("{}{}", kQmpChardevId, i + 1);
    KvOption socket("socket");
    socket.add("id", id).add("path", sockets[i].path).on_off("server", sockets[i].server);
    // A client socket is connected at start (QEMU fails if nothing listens); 'wait' is a server option.
    if (sockets[i].server) socket.on_off("wait", false);
    add_monitor(ctx, socket, id, fmt::format("qmp_socket:{}", i));
  }
}

void lower_rtc_and_globals(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  if (vm.rtc) {
    KvOption rtc;
    if (vm.rtc->base == RtcBase::datetime) {
      rtc.add("base", vm.rtc->datetime.value_or(""));
    } else {
      rtc.add("base", to_string(vm.rtc->base));
    }
    rtc.add("clock", to_string(vm.rtc->clock)).add("driftfix", to_string(vm.rtc->driftfix));
    ctx.kv("-rtc", rtc, "rtc");
  }
  for (const auto& g : vm.globals) {
    ctx.kv("-global", KvOption().add("driver", g.driver).add("property", g.property).add("value", g.value), "global");
  }
}

void lower_sandbox_and_incoming(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  if (vm.sandbox.enabled) {
    const Sandbox& s = vm.sandbox;
    KvOption sandbox("on");
    sandbox.add("obsolete", to_string(s.obsolete)).add("elevateprivileges", to_string(s.elevate_privileges));
    sandbox.add("spawn", to_string(s.spawn)).add("resourcecontrol", to_string(s.resource_control));
    ctx.kv("-sandbox", sandbox, "sandbox");
  }
  if (vm.incoming) {
    // -incoming takes one URI string, not key=value options.
    const Incoming& in = *vm.incoming;
    switch (in.kind) {
      case IncomingKind::defer: ctx.arg("-incoming", "defer"); break;
      case IncomingKind::fd: ctx.arg("-incoming", fmt::format("fd:{}", in.fd)); break;
      case IncomingKind::exec: ctx.arg("-incoming", "exec:" + in.command); break;
      case IncomingKind::uri: ctx.arg("-incoming", in.uri); break;
    }
  }
}

void lower_files(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  // One -fw_cfg per entry (govmm merged several into one broken option).
  for (const auto& entry : vm.fw_cfg) {
    KvOption fw;
    fw.add("name", entry.name);
    if (entry.file) fw.add("file", *entry.file);
    if (entry.string) fw.add("string", *entry.string);
    ctx.kv("-fw_cfg", fw, "fw_cfg:" + entry.name);
  }
  if (vm.qemu.pidfile) ctx.arg("-pidfile", *vm.qemu.pidfile);
  if (vm.qemu.logfile) ctx.arg("-D", *vm.qemu.logfile);
}

}  // namespace

void lower_process(LowerContext& ctx) {
  lower_knobs(ctx);
  lower_monitors(ctx);
  lower_rtc_and_globals(ctx);
  lower_sandbox_and_incoming(ctx);
  lower_files(ctx);
}

void lower_extra(LowerContext& ctx) {
  for (const auto& arg : ctx.vm().qemu.extra_args) ctx.flag(arg);
}

}  // namespace vmforge
