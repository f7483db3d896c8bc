// What validation resolves (defaults, topology, paths, derived ids and MACs) on valid input,
// and how it reports, beyond the byte-exact bad/ goldens.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"

using namespace vmforge;

namespace {

Vm valid(std::string_view text, std::string_view path = "/srv/vms/test.toml") {
  auto vm = validate_text(text, path);
  if (!vm) FAIL(vm.error().render(text));
  return std::move(vm).value();
}

std::string errors(std::string_view text) {
  auto vm = validate_text(text, "t.toml");
  REQUIRE_FALSE(vm.has_value());
  return vm.error().render(text);
}

}  // namespace

TEST_CASE("a minimal manifest gets vmforge's defaults", "[compiler]") {
  Vm vm = valid("name = \"web\"\n");
  CHECK(vm.name == "web");
  CHECK(vm.machine.type == "q35");
  CHECK(vm.machine.family == MachineFamily::q35);
  CHECK(vm.machine.accel == std::vector<Accel>{Accel::kvm, Accel::tcg});
  CHECK(vm.cpu.count == 1);
  CHECK(vm.cpu.max == 1);
  CHECK(vm.memory.size.bytes() == 512ull << 20);
  CHECK(vm.knobs.no_defaults);
  CHECK(vm.supervisor.shutdown_timeout.ms().count() == 30'000);
  CHECK_FALSE(vm.supervisor.autostart.has_value());  // apply DIR leaves the unit's enablement alone
  CHECK(valid("name = \"web\"\n[supervisor]\nautostart = false\n").supervisor.autostart == false);
  CHECK(vm.source_text == "name = \"web\"\n");
  CHECK(vm.source_sha256.size() == 64);
  CHECK(vm.source_path == "/srv/vms/test.toml");
}

TEST_CASE("relative paths resolve against the manifest's directory", "[compiler]") {
  Vm vm = valid("name = \"a\"\n[kernel]\npath = \"../boot/vmlinuz\"\ninitrd = \"/abs/initrd\"\n"
                "[[disk]]\nid = \"d\"\nfile = \"./img/d.raw\"\n",
                "/srv/vms/a.toml");
  REQUIRE(vm.kernel.has_value());
  CHECK(vm.kernel->path == "/srv/boot/vmlinuz");
  CHECK(vm.kernel->initrd == "/abs/initrd");
  CHECK(vm.disks.at(0).file == "/srv/vms/img/d.raw");
}

TEST_CASE("the CPU topology is resolved so its product is max", "[compiler]") {
  CHECK(valid("name = \"a\"\n[cpu]\ncount = 2\nmax = 8\n").cpu.cores == 8);
  Vm sockets = valid("name = \"a\"\n[cpu]\ncount = 2\nmax = 8\nsockets = 2\nthreads = 2\n");
  CHECK(sockets.cpu.sockets == 2);
  CHECK(sockets.cpu.cores == 2);
  CHECK(sockets.cpu.threads == 2);
  Vm cores = valid("name = \"a\"\n[cpu]\ncount = 4\nmax = 8\ncores = 4\n");
  CHECK(cores.cpu.sockets == 2);
  CHECK(cores.cpu.cores == 4);
  CHECK(errors("name = \"a\"\n[cpu]\ncount = 2\nmax = 6\ncores = 4\n").find("not a multiple") != std::string::npos);
}

TEST_CASE("transports default from the machine", "[compiler]") {
  Vm q35 = valid("name = \"a\"\n[[disk]]\nid = \"d\"\nfile = \"d\"\n");
  CHECK(q35.disks.at(0).placement.transport == Transport::pci);
  Vm micro = valid("name = \"a\"\n[machine]\ntype = \"microvm\"\n[[disk]]\nid = \"d\"\nfile = \"d\"\n");
  CHECK(micro.machine.family == MachineFamily::microvm);
  CHECK(micro.disks.at(0).placement.transport == Transport::mmio);
  Vm s390 = valid("name = \"a\"\n[machine]\ntype = \"s390-ccw-virtio\"\n[[net]]\nid = \"n\"\n");
  CHECK(s390.nets.at(0).placement.transport == Transport::ccw);
  CHECK(valid("name = \"a\"\n[machine]\ntype = \"pc-q35-7.2\"\n").machine.family == MachineFamily::q35);
  CHECK(valid("name = \"a\"\n[machine]\ntype = \"pc-i440fx-7.2\"\n").machine.family == MachineFamily::pc);
}

TEST_CASE("a NIC without a MAC gets a stable derived one", "[compiler]") {
  std::string text = "name = \"web\"\n[[net]]\nid = \"eth0\"\n[[net]]\nid = \"eth1\"\n";
  Vm a = valid(text);
  Vm b = valid(text);
  CHECK(a.nets.at(0).mac_derived);
  CHECK(a.nets.at(0).mac == b.nets.at(0).mac);
  CHECK(a.nets.at(0).mac != a.nets.at(1).mac);
  CHECK(a.nets.at(0).mac.to_string().substr(0, 9) == "52:54:00:");
  Vm other = valid("name = \"db\"\n[[net]]\nid = \"eth0\"\n");
  CHECK(other.nets.at(0).mac != a.nets.at(0).mac);
}

TEST_CASE("controllers are chosen or added by default", "[compiler]") {
  Vm vm = valid("name = \"a\"\n[[scsi_controller]]\nid = \"scsi0\"\n[[disk]]\nid = \"d\"\nfile = \"d\"\n"
                "bus = \"scsi\"\n[[serial]]\nid = \"c\"\nfrontend = \"virtconsole\"\n");
  CHECK(vm.disks.at(0).controller == DeviceId("scsi0"));
  REQUIRE(vm.virtio_serials.size() == 1);
  CHECK(vm.virtio_serials.at(0).id == DeviceId("vmforge-vser"));
  CHECK(vm.serials.at(0).controller == DeviceId("vmforge-vser"));
}

TEST_CASE("machine options are sorted and typed values become QEMU text", "[compiler]") {
  Vm vm = valid("name = \"a\"\n[machine.options]\nzz = 3\ngraphics = false\nkernel-irqchip = \"split\"\n");
  using Option = std::pair<std::string, std::string>;
  CHECK(vm.machine.options == std::vector<Option>{{"graphics", "off"}, {"kernel-irqchip", "split"}, {"zz", "3"}});
}

TEST_CASE("hugepages implies a file backend on hugetlbfs", "[compiler]") {
  Vm vm = valid("name = \"a\"\n[memory]\nhugepages = true\n");
  CHECK(vm.memory.backend.kind == MemoryBackendKind::file);
  CHECK(vm.memory.backend.path == "/dev/hugepages");
}

TEST_CASE("origins point at each table for later stages", "[compiler]") {
  Vm vm = valid("name = \"a\"\n[machine]\ntype = \"q35\"\n\n[[disk]]\nid = \"root\"\nfile = \"r\"\n");
  CHECK(origin_of(vm, "machine").line == 2);
  CHECK(origin_of(vm, "root").line == 5);
  CHECK(origin_of(vm, "disk:root").line == 5);
  CHECK(origin_of(vm, "disk:nope").line == 0);
}

TEST_CASE("same_config ignores layout and comments", "[compiler]") {
  Vm a = valid("name = \"a\"\n[cpu]\ncount = 2\n");
  Vm b = valid("# a comment\nname = \"a\"\n\n[cpu]\ncount = 2 # two\n");
  Vm c = valid("name = \"a\"\n[cpu]\ncount = 3\n");
  CHECK(a.same_config(b));
  CHECK_FALSE(a.same_config(c));
  CHECK(a.source_sha256 != b.source_sha256);
}

TEST_CASE("every error is reported, sorted by position", "[compiler]") {
  std::string out = errors("[[disk]]\nid = \"1d\"\n[cpu]\ncount = 0\nnmae = \"x\"\n");
  auto first = out.find("t.toml:2:");
  auto second = out.find("t.toml:4:");
  auto third = out.find("t.toml:5:");
  CHECK(out.find("t.toml: error: the manifest has no 'name'") == 0);
  CHECK(first != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
}

TEST_CASE("strings that reach QEMU options cannot carry line breaks or NUL", "[compiler]") {
  CHECK(errors("name = \"a\"\n[kernel]\npath = \"k\"\ncmdline = \"a\\nb\"\n").find("line break") != std::string::npos);
  CHECK(errors("name = \"a\"\n[[disk]]\nid = \"d\"\nfile = \"a\\u0000b\"\n").find("NUL") != std::string::npos);
}

TEST_CASE("load_and_validate reports an unreadable file", "[compiler]") {
  auto vm = load_and_validate("/nonexistent/vmforge/vm.toml");
  REQUIRE_FALSE(vm.has_value());
  CHECK(vm.error().render("") == "/nonexistent/vmforge/vm.toml: error: Failed to open '/nonexistent/vmforge/vm.toml': "
                                 "No such file or directory\n");
}

TEST_CASE("the keys govmm can say: machine nvdimm, 4 KiB NVDIMM sizes, client QMP sockets, config_wce", "[compiler]") {
  Vm vm = valid("name = \"g\"\n[machine]\nnvdimm = true\n[memory]\nslots = 1\nmax = \"1G\"\n"
                "[[nvdimm]]\nid = \"nv\"\npath = \"nv.img\"\nsize = \"64K\"\n"
                "[[qmp_socket]]\npath = \"/run/qmeventd.sock\"\nserver = false\n"
                "[[disk]]\nid = \"d\"\nfile = \"d.img\"\nconfig_wce = false\n");
  CHECK(vm.machine.nvdimm);
  REQUIRE(vm.nvdimms.size() == 1);
  CHECK(vm.nvdimms[0].size.bytes() == 64 << 10);
  REQUIRE(vm.qmp_sockets.size() == 1);
  CHECK_FALSE(vm.qmp_sockets[0].server);
  REQUIRE(vm.disks.size() == 1);
  CHECK(vm.disks[0].config_wce == false);
  auto plan = lower(vm);
  REQUIRE(plan);
  std::string argv;
  for (const auto& arg : plan->argv) argv += arg + "\n";
  CHECK(argv.find("\"config-wce\":false") != std::string::npos);
  CHECK(argv.find("path=/run/qmeventd.sock,server=off\n") != std::string::npos);
  CHECK(valid("name = \"g\"\n").qmp_sockets.empty());
  CHECK_FALSE(valid("name = \"g\"\n").machine.nvdimm);
}

TEST_CASE("hostfwd rules are checked as QEMU 7.2 parses them", "[compiler]") {
  for (const char* rule : {"tcp::2222-:22", ":127.1:0x10-:22", "udp:0.0.0.0:0-10.0.2.15:53", "tcp:: 2222-: 22"}) {
    INFO(rule);
    Vm vm = valid(std::string("name = \"f\"\n[[net]]\nid = \"n\"\nhostfwd = [\"") + rule + "\"]\n");
    CHECK(vm.nets.at(0).hostfwd == std::vector<std::string>{rule});
  }
  CHECK(errors("name = \"f\"\n[[net]]\nid = \"n\"\nhostfwd = [\"tcp::2222-:0\"]\n")
            .find("'tcp::2222-:0' is not "
                  "[tcp|udp]:") != std::string::npos);
}

TEST_CASE("an integer memory size under 1 MiB gets a hint that integers are bytes", "[compiler]") {
  CHECK(errors("name = \"s\"\n[memory]\nsize = 1024\n").find("did you mean \"1024M\"?") != std::string::npos);
  CHECK(errors("name = \"s\"\n[memory]\nsize = \"1K\"\n").find("did you mean") == std::string::npos);
}
