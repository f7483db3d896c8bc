// Machine-wide lowering: -machine/-accel, CPUs and their hotplug steps, memory, firmware, kernel.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

TEST_CASE("the machine takes its options escaped, graphics=off, and every accelerator in order", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.accel = {Accel::xen, Accel::kvm, Accel::tcg};
  vm.machine.options = {{"hpet", "off"}, {"x-oem-id", "a,b"}};
  const auto argv = lowered(vm).argv;
  // -nographic's machine half; QEMU falls back along the -accel options by itself.
  CHECK(values_of(argv, "-machine") == std::vector<std::string>{"q35,hpet=off,x-oem-id=a,,b,graphics=off"});
  CHECK(values_of(argv, "-accel") == std::vector<std::string>{"xen", "kvm", "tcg"});
  vm.knobs.no_graphic = false;
  vm.machine.nvdimm = true;
  CHECK(values_of(lowered(vm).argv, "-machine") == std::vector<std::string>{"q35,hpet=off,x-oem-id=a,,b,nvdimm=on"});
  CHECK(values_of(argv, "-name") == std::vector<std::string>{"guest=t"});
}

TEST_CASE("an unescapable machine option is a diagnostic at the [machine] table", "[compiler]") {
  Vm vm = small_vm();
  vm.machine.options = {{"x-oem-id", "a\nb"}};
  vm.origins["machine"] = SourceLoc{"/m/t.toml", 3, 1};
  auto plan = lower(vm);
  REQUIRE_FALSE(plan);
  REQUIRE(plan.error().size() == 1);
  CHECK(plan.error().items()[0].loc.line == 3);
  CHECK(plan.error().items()[0].message ==
        "cannot pass this to QEMU's -machine option: value of 'x-oem-id' contains a newline, which QEMU "
        "cannot take in an option value");
}

TEST_CASE("-smp spells out the topology and -cpu carries the features", "[compiler]") {
  Vm vm = small_vm();
  vm.cpu = Cpu{2, 8, 2, 1, 2, 2, "Haswell", {"+avx2", "-hle"}};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-smp") == std::vector<std::string>{"cpus=2,maxcpus=8,sockets=2,cores=2,threads=2"});
  CHECK(values_of(argv, "-cpu") == std::vector<std::string>{"Haswell,+avx2,-hle"});
  vm.cpu.dies = 2;
  vm.cpu.sockets = 1;
  CHECK(values_of(lowered(vm).argv, "-smp") ==
        std::vector<std::string>{"cpus=2,maxcpus=8,sockets=1,dies=2,cores=2,threads=2"});
}

TEST_CASE("no -cpu when the manifest names no model", "[compiler]") {
  CHECK(values_of(lowered(small_vm()).argv, "-cpu").empty());
}

TEST_CASE("cpu:N plugs the vCPU of that slot with its socket/core/thread ids", "[compiler]") {
  Vm vm = small_vm();
  vm.cpu = Cpu{1, 8, 2, 1, 2, 2, std::nullopt, {}};
  auto steps = plug_steps(vm, "cpu:5");
  REQUIRE(steps);
  REQUIRE(steps->size() == 1);
  const PlanStep& s = steps->front();
  CHECK(s.resource == "cpu:5");
  CHECK(s.call.command == "device_add");
  // slot 5 = thread 1 of core 0 of socket 1 (2 threads per core, 2 cores per socket)
  CHECK(s.call.arguments ==
        R"({"driver":"qemu64-x86_64-cpu","id":"vmforge-cpu5","socket-id":1,"core-id":0,"thread-id":1})");
  REQUIRE(s.undo);
  CHECK(s.undo->completion.device_id == "/machine/peripheral/vmforge-cpu5/lapic");

  auto unplug = unplug_steps(vm, "cpu:5");
  REQUIRE(unplug);
  CHECK(unplug->front().call.command == "device_del");
  CHECK(unplug->front().call.arguments == R"({"id":"vmforge-cpu5"})");
  CHECK(unplug->front().call.completion.kind == Completion::Kind::event);

  CHECK(plug_steps(vm, "cpu:0").error().message.find("needs a restart") != std::string::npos);
  CHECK_FALSE(plug_steps(vm, "cpu:8"));
  CHECK_FALSE(plug_steps(vm, "cpu:x"));
}

TEST_CASE("plain RAM is -m alone; a special backend is an object the machine links", "[compiler]") {
  Vm vm = small_vm();
  vm.memory.size = ByteSize(2ull << 30);
  vm.memory.max = ByteSize(8ull << 30);
  vm.memory.slots = 4;
  auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-m") == std::vector<std::string>{"size=2G,slots=4,maxmem=8G"});
  CHECK(values_of(argv, "-object").empty());

  vm.memory.backend.kind = MemoryBackendKind::file;
  vm.memory.backend.path = "/dev/hugepages/vm";
  vm.memory.backend.shared = true;
  vm.memory.backend.prealloc = true;
  vm.memory.backend.hugepages = true;
  argv = lowered(vm).argv;
  CHECK(values_of(argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"memory-backend-file","id":"vmforge-ram","size":2147483648,)"
                                 R"("mem-path":"/dev/hugepages/vm","share":true,"prealloc":true})"});
  CHECK(values_of(argv, "-machine").front() == "q35,memory-backend=vmforge-ram,graphics=off");
}

TEST_CASE("sizes keep a unit so -m never reads bytes as MiB", "[compiler]") {
  Vm vm = small_vm();
  vm.memory.size = ByteSize((512ull << 20) + 4096);
  CHECK(values_of(lowered(vm).argv, "-m").front() == "size=524292K");
  vm.memory.size = ByteSize(1000000001);
  CHECK(values_of(lowered(vm).argv, "-m").front() == "size=1000000001B");
}

TEST_CASE("pflash units are named blockdevs behind -machine pflashN", "[compiler]") {
  Vm vm = small_vm();
  vm.firmware.pflash = {"/fw/CODE,1.fd", "/fw/VARS.fd"};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-machine").front() == "q35,pflash0=vmforge-pflash0,pflash1=vmforge-pflash1,graphics=off");
  CHECK(values_of(argv, "-blockdev") ==
        std::vector<std::string>{R"({"driver":"file","node-name":"vmforge-pflash0.file","filename":"/dev/fdset/4"})",
                                 R"({"driver":"raw","node-name":"vmforge-pflash0","file":"vmforge-pflash0.file"})",
                                 R"({"driver":"file","node-name":"vmforge-pflash1.file","filename":"/dev/fdset/5"})",
                                 R"({"driver":"raw","node-name":"vmforge-pflash1","file":"vmforge-pflash1.file"})"});
}

TEST_CASE("-kernel, -initrd and -append are verbatim", "[compiler]") {
  Vm vm = small_vm();
  vm.kernel = Kernel{"/k,dir/vmlinuz", "/k/initrd,x", "console=ttyS0 a=b,,c 'q'"};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-kernel") == std::vector<std::string>{"/k,dir/vmlinuz"});
  CHECK(values_of(argv, "-initrd") == std::vector<std::string>{"/k/initrd,x"});
  CHECK(values_of(argv, "-append") == std::vector<std::string>{"console=ttyS0 a=b,,c 'q'"});
}

TEST_CASE("SEV adds its object, the confidential-guest link and OVMF as read-only flash", "[compiler]") {
  Vm vm = small_vm();
  ConfidentialGuest cg;
  cg.firmware = "/fw/OVMF.fd";
  cg.cbitpos = 47;
  cg.reduced_phys_bits = 1;
  vm.confidential_guest = cg;
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-machine").front() ==
        "q35,pflash0=vmforge-cg-firmware,confidential-guest-support=vmforge-cg,graphics=off");
  CHECK(value_with(argv, "-object", "sev-guest") ==
        R"({"qom-type":"sev-guest","id":"vmforge-cg","cbitpos":47,"reduced-phys-bits":1})");
  CHECK(value_with(argv, "-add-fd", "OVMF") == "fd=4,set=4,opaque=/fw/OVMF.fd");
  CHECK(value_with(argv, "-blockdev", "vmforge-cg-firmware\"") ==
        R"({"driver":"raw","node-name":"vmforge-cg-firmware","file":"vmforge-cg-firmware.file","read-only":true})");
}

TEST_CASE("iothreads are objects", "[compiler]") {
  Vm vm = small_vm();
  vm.iothreads = {IoThread{DeviceId("io0")}, IoThread{DeviceId("io1")}};
  CHECK(values_of(lowered(vm).argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"iothread","id":"io0"})", R"({"qom-type":"iothread","id":"io1"})"});
}
