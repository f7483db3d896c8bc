// Lowering of memory devices: DIMMs with their backends (and hotplug steps), NVDIMMs.
#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "tests/compiler/lower/test_support.hpp"

using namespace vmforge;
using namespace vmforge::test;

TEST_CASE("dimms: backend object and pc-dimm; hot ones via object-add", "[compiler]") {
  Vm vm = small_vm();
  vm.memory.slots = 2;
  vm.memory.max = ByteSize(4ull << 30);
  Dimm cold;
  cold.id = DeviceId("dimm0");
  cold.size = ByteSize(256ull << 20);
  Dimm hot = cold;
  hot.id = DeviceId("dimm1");
  hot.backend.kind = MemoryBackendKind::memfd;
  hot.backend.shared = true;
  hot.hotplug = true;
  vm.dimms = {cold, hot};
  const Plan plan = lowered(vm);
  CHECK(values_of(plan.argv, "-object") ==
        std::vector<std::string>{R"({"qom-type":"memory-backend-ram","id":"dimm0.mem","size":268435456})"});
  CHECK(values_of(plan.argv, "-device") ==
        std::vector<std::string>{R"({"driver":"pc-dimm","id":"dimm0","memdev":"dimm0.mem"})"});
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].call.command == "object-add");
  CHECK(plan.steps[0].call.arguments ==
        R"({"qom-type":"memory-backend-memfd","id":"dimm1.mem","size":268435456,"share":true})");
  CHECK(plan.steps[0].undo->command == "object-del");
  auto unplug = unplug_steps(vm, "dimm:dimm1");
  REQUIRE(unplug);
  CHECK(unplug->back().call.command == "object-del");
}

TEST_CASE("nvdimms switch the machine's nvdimm support on", "[compiler]") {
  Vm vm = small_vm();
  Nvdimm nv;
  nv.id = DeviceId("nv0");
  nv.path = "/pmem/nv0";
  nv.size = ByteSize(64ull << 20);
  nv.readonly = true;
  vm.nvdimms = {nv};
  const auto argv = lowered(vm).argv;
  CHECK(values_of(argv, "-machine").front() == "q35,nvdimm=on,graphics=off");
  CHECK(
      values_of(argv, "-object").front() ==
      R"({"qom-type":"memory-backend-file","id":"nv0.mem","size":67108864,"mem-path":"/pmem/nv0","share":true,"readonly":true})");
  CHECK(values_of(argv, "-device").front() == R"({"driver":"nvdimm","id":"nv0","memdev":"nv0.mem","unarmed":true})");
}
