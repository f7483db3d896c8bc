// Validation of character devices: [[serial]] (backend + frontend) and [[virtio_serial]].
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

bool needs_path(CharBackend b) {
  return b == CharBackend::file || b == CharBackend::pipe || b == CharBackend::socket || b == CharBackend::tty;
}

void read_serial(Fields& f, Vm& vm) {
  Serial s;
  s.id = read_device_id(f, "serial", vm);
  s.backend = f.choice_or_default<CharBackend>("backend");
  s.frontend = f.choice_or_default<SerialFrontend>("frontend");
  bool virtio = s.frontend != SerialFrontend::serial;
  f.only_if(needs_path(s.backend), "path", "backends 'file', 'pipe', 'socket' and 'tty'");
  f.only_if(s.backend == CharBackend::socket, "server", "backend 'socket'");
  f.only_if(virtio, "controller", "frontends 'virtconsole' and 'virtserialport'");
  f.only_if(s.frontend == SerialFrontend::virtserialport, "name", "frontend 'virtserialport'");
  if (needs_path(s.backend) && f.require("path")) {
    s.path = s.backend == CharBackend::socket ? read_socket_path(f, "path") : f.path("path");
  }
  s.server = f.flag_or_default("server");
  if (virtio) s.controller = f.ref("controller", {"virtio_serial"});
  if (auto name = f.nonempty("name")) {
    const auto max = static_cast<std::size_t>(f.length("name").max);
    if (name->size() > max || !is_name_text(*name, "._-")) {
      f.error("name", fmt::format("{}: port 'name' must be at most {} letters, digits, '.', '_' or '-' (like "
                                  "'org.qemu.guest_agent.0'), not {}",
                                  f.owner(), max, quote_text(*name)));
    } else {
      s.name = *name;
    }
  }
  if (s.backend == CharBackend::console && f.flag_or_default("hotplug")) {
    f.error("hotplug", fmt::format("{}: the backend 'console' is part of QEMU's command line; it cannot be hot-plugged",
                                   f.owner()));
  } else if (!virtio && f.flag_or_default("hotplug")) {
    f.error("hotplug", fmt::format("{}: a legacy serial port cannot be hot-plugged; use frontend 'virtconsole' or "
                                   "'virtserialport'",
                                   f.owner()));
  } else {
    s.hotplug = read_hotplug(f, vm, Transport::pci);
  }
  if (s.backend == CharBackend::console) {
    for (const Serial& other : vm.serials) {
      if (other.backend != CharBackend::console) continue;
      f.error("backend", fmt::format("{}: [[serial]] '{}' already has the backend 'console' ('vmforge console' "
                                     "attaches to one); use another backend here",
                                     f.owner(), other.id.str()));
    }
  }
  vm.serials.push_back(std::move(s));
}

}  // namespace

void validate_chardev(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "virtio_serial", ctx, [&](Fields& f) {
    VirtioSerial c;
    c.id = read_device_id(f, "virtio_serial", vm);
    if (auto ports = f.number("max_ports")) c.max_ports = static_cast<std::uint32_t>(*ports);
    c.placement = read_placement(f, vm);
    c.hotplug = read_hotplug(f, vm, c.placement.transport);
    vm.virtio_serials.push_back(std::move(c));
  });
  for_each_table(root, "serial", ctx, [&](Fields& f) { read_serial(f, vm); });
}

}  // namespace vmforge
