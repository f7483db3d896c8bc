// Lowering of character devices: virtio-serial controllers, and each [[serial]]'s chardev
// (key=value on the command line, which has no JSON form for it; JSON over QMP) with its
// frontend (16550 UART, virtconsole, virtserialport), plus their plug/unplug steps.
#include "compiler/lower/families.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/qmp/ops_chardev.hpp"

namespace vmforge {
namespace {

std::string chardev_id(const Serial& s) { return s.id.derived("char"); }

std::string resource_of(const Serial& s) { return resource_name(kind_of(s), s.id); }

// A file backend's log: created (0600) or truncated by the supervisor, which passes it to QEMU
// (unprivileged QEMU could not create it, and a log QEMU creates is world-readable).
PassedFile log_file(const Serial& s) { return {s.path.value_or(""), FileOpen::create}; }
// The same log reopened when an undo plugs the backend back: what the guest wrote stays.
PassedFile log_reopened(const Serial& s) { return {s.path.value_or(""), FileOpen::append}; }
// The fd set of a hot file backend, by resource and path (storage.cpp says why).
std::string log_key(const Serial& s) { return resource_of(s) + '\n' + s.path.value_or(""); }

// `log` is the name QEMU opens for a file backend: an fd set. A console's socket is the
// supervisor's, listening on the fd console_listen_fd() names (like the QMP monitor's).
KvOption chardev_option(const Vm& vm, const Serial& s, const std::string& log) {
  const std::string path = s.path.value_or("");
  switch (s.backend) {
    case CharBackend::file: return KvOption("file").add("id", chardev_id(s)).add("path", log);
    case CharBackend::socket: {
      KvOption opt("socket");
      opt.add("id", chardev_id(s)).add("path", path).on_off("server", s.server);
      if (s.server) opt.on_off("wait", false);
      return opt;
    }
    case CharBackend::pty: return KvOption("pty").add("id", chardev_id(s));
    case CharBackend::pipe: return KvOption("pipe").add("id", chardev_id(s)).add("path", path);
    case CharBackend::tty: return KvOption("serial").add("id", chardev_id(s)).add("path", path);
    case CharBackend::null: return KvOption("null").add("id", chardev_id(s));
    case CharBackend::console:
      return KvOption("socket")
          .add("id", chardev_id(s))
          .add("fd", static_cast<std::uint64_t>(*console_listen_fd(vm)))
          .on_off("server", true)
          .on_off("wait", false);
  }
  return KvOption("null").add("id", chardev_id(s));
}

QmpCall chardev_add(const Serial& s) {
  const std::string id = chardev_id(s);
  const std::string path = s.path.value_or("");
  switch (s.backend) {
    case CharBackend::socket: return qmp::chardev_add_socket({id, path, s.server, false});
    case CharBackend::file: return qmp::chardev_add_file(id, hot_fdset_path(log_key(s)));
    case CharBackend::pipe: return qmp::chardev_add_pipe(id, path);
    case CharBackend::tty: return qmp::chardev_add_serial(id, path);
    case CharBackend::pty: return qmp::chardev_add_pty(id);
    case CharBackend::null:
    case CharBackend::console:  // never hot-plugged (validate/chardev.cpp)
      return qmp::chardev_add_null(id);
  }
  return qmp::chardev_add_null(id);
}

qmp::SerialPortAdd frontend(const Serial& s) {
  qmp::SerialPortAdd port;
  switch (s.frontend) {
    case SerialFrontend::serial: port.driver = "isa-serial"; break;
    case SerialFrontend::virtconsole: port.driver = "virtconsole"; break;
    case SerialFrontend::virtserialport: port.driver = "virtserialport"; break;
  }
  port.id = s.id.str();
  if (s.controller) port.bus = s.controller->derived("0");
  port.chardev = chardev_id(s);
  port.name = s.name.value_or("");
  return port;
}

qmp::SerialControllerAdd controller(const Vm& vm, const PciLayout& layout, const VirtioSerial& c) {
  return {virtio_driver("virtio-serial", c.placement.transport), c.id.str(),
          placement_of(vm, layout, c.id, c.placement), c.max_ports};
}

}  // namespace

void lower_chardev(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& c : vm.virtio_serials) {
    if (!c.hotplug) ctx.arg("-device", qmp::arguments(controller(vm, ctx.layout(), c)));
  }
  for (const auto& s : vm.serials) {
    if (s.hotplug) continue;
    const std::string resource = resource_name(ResourceKind::serial, s.id);
    const std::string log = s.backend == CharBackend::file ? ctx.pass_file(resource, log_file(s)) : "";
    ctx.kv("-chardev", chardev_option(vm, s, log), resource);
    ctx.arg("-device", qmp::arguments(frontend(s)));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VirtioSerial& c) {
  return {device_add_step(resource_name(ResourceKind::virtio_serial, c.id), c.id.str(),
                          qmp::device_add(controller(vm, layout, c)))};
}

std::vector<PlanStep> unplug(const VirtioSerial& c) {
  return {device_del_step(resource_name(ResourceKind::virtio_serial, c.id), c.id.str())};
}

std::vector<PlanStep> plug(const Vm&, const PciLayout&, const Serial& s) {
  const std::string resource = resource_of(s);
  auto steps = chardev_device_plug(resource, chardev_add(s), chardev_id(s), s.id.str(), qmp::device_add(frontend(s)));
  if (s.backend == CharBackend::file) steps.insert(steps.begin(), add_fd_step(resource, log_key(s), log_file(s)));
  return steps;
}

std::vector<PlanStep> unplug(const Serial& s) {
  const std::string resource = resource_of(s);
  auto steps = chardev_device_unplug(resource, chardev_id(s), s.id.str());
  if (s.backend == CharBackend::file) steps.push_back(remove_fd_step(resource, log_key(s), log_reopened(s)));
  return steps;
}

}  // namespace vmforge
