// Validation of [[net]]: backends, MAC, tap options, multiqueue, pre-opened fds, vhost-user, VFIO.
#include "compiler/validate/families.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

namespace vmforge {

namespace {

bool is_tap_family(NetBackend b) {
  return b == NetBackend::tap || b == NetBackend::macvtap || b == NetBackend::ipvtap || b == NetBackend::veth_tap;
}

/// A stable locally administered MAC in QEMU's 52:54:00 range, from the VM name and NIC id, so
/// the guest sees the same address on every start without the manifest naming one.
MacAddr derive_mac(std::string_view vm_name, std::string_view id) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64
  auto mix = [&](std::string_view text) {
    for (char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
  };
  mix(vm_name);
  mix(std::string_view("\0", 1));
  mix(id);
  return MacAddr({0x52, 0x54, 0x00, static_cast<std::uint8_t>(hash >> 16), static_cast<std::uint8_t>(hash >> 8),
                  static_cast<std::uint8_t>(hash)});
}

std::vector<int> read_fd_list(const Fields& f, std::string_view key) {
  std::vector<int> fds;
  for (std::int64_t raw : f.integers(key)) {
    if (auto fd = checked_fd(f, key, raw)) fds.push_back(*fd);
  }
  return fds;
}

void read_ifname(const Fields& f, Net& n) {
  auto ifname = f.nonempty("ifname");
  if (!ifname) return;
  const auto max = static_cast<std::size_t>(f.length("ifname").max);
  if (ifname->size() > max || !is_name_text(*ifname, "._-")) {
    f.error("ifname", fmt::format("{}: 'ifname' must be at most {} letters, digits, '.', '_' or '-', not {}", f.owner(),
                                  max, quote_text(*ifname)));
    return;
  }
  n.ifname = *ifname;
}

/// The text of `rule` up to `sep` (consumed), as QEMU's get_str_sep() cuts it; nullopt without one.
std::optional<std::string> cut_at(std::string_view& rule, char sep) {
  const std::size_t at = rule.find(sep);
  if (at == std::string_view::npos) return std::nullopt;
  std::string field(rule.substr(0, at));
  rule.remove_prefix(at + 1);
  return field;
}

/// A port as QEMU reads it: strtol() base 0 over the whole field, within [min, 65535].
bool port_ok(const std::string& field, long min) {
  char* end = nullptr;
  errno = 0;
  const long port = std::strtol(field.c_str(), &end, 0);
  return errno == 0 && *end == '\0' && port >= min && port <= 65535;
}

bool address_ok(const std::string& field) {
  in_addr addr{};
  return field.empty() || inet_aton(field.c_str(), &addr) != 0;
}

/// [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport, checked as QEMU 7.2's slirp_hostfwd()
/// parses it at start (hostport 0 means any; guestport 1-65535; addresses as inet_aton reads).
bool hostfwd_ok(std::string_view rule) {
  auto proto = cut_at(rule, ':');
  if (!proto || (!proto->empty() && *proto != "tcp" && *proto != "udp")) return false;
  auto host_addr = cut_at(rule, ':');
  if (!host_addr || !address_ok(*host_addr)) return false;
  auto host_port = cut_at(rule, '-');
  if (!host_port || !port_ok(*host_port, 0)) return false;
  auto guest_addr = cut_at(rule, ':');
  return guest_addr && address_ok(*guest_addr) && port_ok(std::string(rule), 1);
}

void read_hostfwd(const Fields& f, Net& n) {
  for (const std::string& rule : f.texts("hostfwd")) {
    if (!hostfwd_ok(rule)) {
      f.error("hostfwd", fmt::format("{}: 'hostfwd' rule {} is not [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport "
                                     "with IPv4 addresses and ports up to 65535, e.g. 'tcp:127.0.0.1:2222-:22'",
                                     f.owner(), quote_text(rule)));
      continue;
    }
    n.hostfwd.push_back(rule);
  }
}

void read_net(Fields& f, Vm& vm) {
  Net n;
  n.id = read_device_id(f, "net", vm);
  n.backend = f.choice_or_default<NetBackend>("backend");
  bool tap = is_tap_family(n.backend);
  bool plain_tap = n.backend == NetBackend::tap || n.backend == NetBackend::veth_tap;
  bool vhost_user = n.backend == NetBackend::vhost_user;
  auto mac = f.text("mac");
  auto parsed = mac ? MacAddr::parse(*mac) : Result<MacAddr>(derive_mac(vm.name, n.id.str()));
  if (!parsed) {
    f.error("mac", fmt::format("{}: {}", f.owner(), parsed.error().message));
    // A stand-in keeps the duplicate-MAC check from reporting the broken ones against each other.
    parsed = derive_mac(vm.name, n.id.str());
  }
  n.mac = *parsed;
  n.mac_derived = !mac;
  f.only_if(tap, "ifname", "the tap backends ('tap', 'macvtap', 'ipvtap', 'veth-tap')");
  f.only_if(tap, "vhost", "the tap backends ('tap', 'macvtap', 'ipvtap', 'veth-tap')");
  f.only_if(tap, "fds", "the tap backends ('tap', 'macvtap', 'ipvtap', 'veth-tap')");
  f.only_if(plain_tap, "script", "backends 'tap' and 'veth-tap'");
  f.only_if(plain_tap, "downscript", "backends 'tap' and 'veth-tap'");
  f.only_if(tap || vhost_user, "queues", "the tap and vhost-user backends");
  f.only_if(vhost_user, "socket", "backend 'vhost-user'");
  f.only_if(n.backend == NetBackend::vfio, "host", "backend 'vfio'");
  f.only_if(n.backend == NetBackend::user, "hostfwd", "backend 'user'");
  read_ifname(f, n);
  n.vhost = f.flag_or_default("vhost");
  n.fds = read_fd_list(f, "fds");
  n.vhost_fds = read_fd_list(f, "vhost_fds");
  if (f.has("vhost_fds") && !n.vhost) {
    f.error("vhost_fds", fmt::format("{}: 'vhost_fds' needs vhost = true", f.owner()));
  }
  if (plain_tap && !n.fds.empty()) {
    for (std::string_view key : {"script", "downscript"}) {
      if (f.has(key)) f.error(key, fmt::format("{}: '{}' cannot run on pre-opened 'fds'", f.owner(), key));
    }
  }
  n.script = f.path("script");
  n.downscript = f.path("downscript");
  // Pre-opened tap fds decide the queue count when 'queues' does not.
  auto queues = f.number("queues");
  n.queues = static_cast<std::uint32_t>(queues.value_or(n.fds.empty() ? f.default_number("queues") : n.fds.size()));
  if (!n.fds.empty() && n.fds.size() != n.queues) {
    f.error("fds", fmt::format("{}: 'fds' has {} entries but 'queues' is {}; give one tap fd per queue", f.owner(),
                               n.fds.size(), n.queues));
  }
  if (!n.vhost_fds.empty() && n.vhost_fds.size() != n.queues) {
    f.error("vhost_fds", fmt::format("{}: 'vhost_fds' has {} entries but 'queues' is {}; give one vhost fd per "
                                     "queue",
                                     f.owner(), n.vhost_fds.size(), n.queues));
  }
  if ((n.backend == NetBackend::macvtap || n.backend == NetBackend::ipvtap) && !n.ifname && n.fds.empty()) {
    f.ctx().error(f.loc(), fmt::format("{}: backend '{}' needs 'ifname' (the host interface) or 'fds'", f.owner(),
                                       to_string(n.backend)));
  }
  if (vhost_user) {
    if (f.require("socket")) n.socket = read_socket_path(f, "socket");
    require_shared_memory(f, vm);
  }
  if (n.backend == NetBackend::vfio && f.require("host")) {
    if (auto text = f.text("host")) {
      auto host = HostPciAddress::parse(*text);
      if (!host) f.error("host", fmt::format("{}: {}", f.owner(), host.error().message));
      else n.host = *host;
    }
  }
  read_hostfwd(f, n);
  n.link_up = f.text_or_default("link") == "up";
  n.placement = read_placement(f, vm);
  if (n.backend == NetBackend::vfio && n.placement.transport != Transport::pci) {
    f.error("backend", fmt::format("{}: backend 'vfio' needs the 'pci' transport", f.owner()));
  }
  n.hotplug = read_hotplug(f, vm, n.placement.transport);
  vm.nets.push_back(std::move(n));
}

}  // namespace

void validate_net(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "net", ctx, [&](Fields& f) { read_net(f, vm); });
}

}  // namespace vmforge
