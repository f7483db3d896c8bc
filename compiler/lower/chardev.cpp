// Lowering of character devices: virtio-serial controllers, and each [[serial]]'s chardev
// (key=value on the command line, which has no JSON form for it; JSON over QMP) with its
// frontend (16550 UART, virtconsole, virtserialport), plus their plug/unplug steps.
#include "compiler/lower/families.hpp"
#include "compiler/lower/lower.hpp"

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

// chardev-add's ChardevBackend: {"type": ..., "data": {...}}.
std::string chardev_add_json(const Serial& s) {
  if (s.backend == CharBackend::socket) return socket_chardev_add_json(chardev_id(s), s.path.value_or(""), s.server);
  return json_object([&](JsonWriter& w) {
    w.field("id", chardev_id(s));
    w.key("backend").begin_object();
    const std::string path = s.path.value_or("");
    switch (s.backend) {
      case CharBackend::file:
        w.field("type", "file").key("data").begin_object().field("out", hot_fdset_path(log_key(s)));
        break;
      case CharBackend::pipe: w.field("type", "pipe").key("data").begin_object().field("device", path); break;
      case CharBackend::tty: w.field("type", "serial").key("data").begin_object().field("device", path); break;
      case CharBackend::pty: w.field("type", "pty").key("data").begin_object(); break;
      case CharBackend::null:
      case CharBackend::console:  // never hot-plugged (validate_chardev.cpp)
      case CharBackend::socket: w.field("type", "null").key("data").begin_object(); break;
    }
    w.end_object().end_object();
  });
}

std::string frontend_json(const Serial& s) {
  return json_object([&](JsonWriter& w) {
    switch (s.frontend) {
      case SerialFrontend::serial: w.field("driver", "isa-serial"); break;
      case SerialFrontend::virtconsole: w.field("driver", "virtconsole"); break;
      case SerialFrontend::virtserialport: w.field("driver", "virtserialport"); break;
    }
    w.field("id", s.id.str());
    if (s.controller) w.field("bus", s.controller->derived("0"));
    w.field("chardev", chardev_id(s));
    if (s.name) w.field("name", *s.name);
  });
}

std::string controller_json(const Vm& vm, const PciLayout& layout, const VirtioSerial& c) {
  return json_object([&](JsonWriter& w) {
    w.field("driver", virtio_driver("virtio-serial", c.placement.transport)).field("id", c.id.str());
    write_placement(w, vm, layout, c.id, c.placement);
    if (c.max_ports) w.field("max_ports", *c.max_ports);
  });
}

}  // namespace

std::string socket_chardev_add_json(const std::string& id, const std::string& path, bool server) {
  return json_object([&](JsonWriter& w) {
    w.field("id", id);
    w.key("backend").begin_object().field("type", "socket").key("data").begin_object();
    w.key("addr").begin_object().field("type", "unix");
    w.key("data").begin_object().field("path", path).end_object();
    w.end_object();
    w.field("server", server);
    if (server) w.field("wait", false);
    w.end_object().end_object();
  });
}

void lower_chardev(LowerContext& ctx) {
  const Vm& vm = ctx.vm();
  for (const auto& c : vm.virtio_serials) {
    if (!c.hotplug) ctx.arg("-device", controller_json(vm, ctx.layout(), c));
  }
  for (const auto& s : vm.serials) {
    if (s.hotplug) continue;
    const std::string resource = resource_name(ResourceKind::serial, s.id);
    const std::string log = s.backend == CharBackend::file ? ctx.pass_file(resource, log_file(s)) : "";
    ctx.kv("-chardev", chardev_option(vm, s, log), resource);
    ctx.arg("-device", frontend_json(s));
  }
}

std::vector<PlanStep> plug(const Vm& vm, const PciLayout& layout, const VirtioSerial& c) {
  return {device_add_step(resource_name(ResourceKind::virtio_serial, c.id), c.id.str(), controller_json(vm, layout, c))};
}

std::vector<PlanStep> unplug(const VirtioSerial& c) {
  return {device_del_step(resource_name(ResourceKind::virtio_serial, c.id), c.id.str())};
}

std::vector<PlanStep> plug(const Vm&, const PciLayout&, const Serial& s) {
  const std::string resource = resource_of(s);
  auto steps = chardev_device_plug(resource, chardev_add_json(s), chardev_id(s), s.id.str(), frontend_json(s));
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
