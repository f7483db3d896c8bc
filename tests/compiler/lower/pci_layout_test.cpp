// PciLayout: explicit root-bus slots, root ports packed 8 per slot, unique (chassis, slot).
#include <catch2/catch.hpp>

#include <set>

#include "compiler/lower/pci_layout.hpp"

using namespace vmforge;

TEST_CASE("q35 puts cold devices on free pcie.0 slots and packs root ports after them", "[compiler]") {
  PciRequest req;
  req.family = MachineFamily::q35;
  req.cold = {"root", "eth0"};
  req.fixed = {PciAddress(0x02, 0)};
  req.hot = {"data1"};
  req.spare_ports = 9;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  CHECK(layout->root_bus == "pcie.0");
  CHECK(layout->cold.at("root") == PciAddress(0x01, 0));
  CHECK(layout->cold.at("eth0") == PciAddress(0x03, 0));
  REQUIRE(layout->ports.size() == 10);
  CHECK(layout->ports[0].id == "vmforge-rp0");
  CHECK(layout->ports[0].addr == PciAddress(0x04, 0));
  CHECK(layout->ports[0].multifunction);
  CHECK(layout->ports[7].addr == PciAddress(0x04, 7));
  CHECK_FALSE(layout->ports[7].multifunction);
  CHECK(layout->ports[8].addr == PciAddress(0x05, 0));
  CHECK(layout->ports[8].multifunction);
  CHECK(layout->ports[9].addr == PciAddress(0x05, 1));
  CHECK(layout->hot.at("data1").bus == "vmforge-rp0");
  CHECK_FALSE(layout->hot.at("data1").addr.has_value());
}

TEST_CASE("a lone root port is not multifunction", "[compiler]") {
  PciRequest req;
  req.spare_ports = 1;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  REQUIRE(layout->ports.size() == 1);
  CHECK_FALSE(layout->ports[0].multifunction);
}

TEST_CASE("generated root ports avoid (chassis, slot) pairs the manifest uses", "[compiler]") {
  PciRequest req;
  req.spare_ports = 4;
  req.taken_chassis_slots = {{1, 2}, {1, 3}, {2, 1}};
  auto layout = layout_pci(req);
  REQUIRE(layout);
  std::set<std::pair<unsigned, unsigned>> seen;
  for (const auto& p : layout->ports) {
    CHECK(p.chassis == 1);
    CHECK(seen.insert({p.chassis, p.slot}).second);
  }
  CHECK(layout->ports[0].slot == 1);
  CHECK(layout->ports[1].slot == 4);
}

TEST_CASE("pc hot-plugs onto pci.0 at fixed free slots", "[compiler]") {
  PciRequest req;
  req.family = MachineFamily::pc;
  req.cold = {"root"};
  req.hot = {"data1", "eth1"};
  req.spare_ports = 8;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  CHECK(layout->root_bus == "pci.0");
  CHECK(layout->cold.at("root") == PciAddress(0x02, 0));
  CHECK(layout->ports.empty());
  CHECK(layout->hot.at("data1").bus == "pci.0");
  CHECK(*layout->hot.at("data1").addr == PciAddress(0x03, 0));
  CHECK(*layout->hot.at("eth1").addr == PciAddress(0x04, 0));
}

TEST_CASE("microvm has no managed PCI layout", "[compiler]") {
  PciRequest req;
  req.family = MachineFamily::microvm;
  req.cold = {"root"};
  auto layout = layout_pci(req);
  REQUIRE(layout);
  CHECK(layout->root_bus.empty());
  CHECK(layout->cold.empty());
}

TEST_CASE("running out of root-bus slots is an error", "[compiler]") {
  PciRequest req;
  for (int i = 0; i < 30; ++i) req.cold.push_back(std::string("d").append(std::to_string(i)));
  CHECK(layout_pci(req));
  req.spare_ports = 1;
  auto full = layout_pci(req);
  REQUIRE_FALSE(full);
  CHECK(full.error().message == "the VM needs 31 slots on 'pcie.0' but only 30 are free; use fewer PCI devices "
                                "or put some on a bridge or root port");
  req.cold.clear();
  req.spare_ports = 256;
  CHECK_FALSE(layout_pci(req));
}

TEST_CASE("pins replace the packing: the source's port count and each device's port", "[compiler]") {
  PciRequest req;
  req.cold = {"root"};
  req.hot = {"data1", "data2"};
  req.spare_ports = 2;  // would give 4 ports, data2 on vmforge-rp1
  const PciPins pins{3, {{"data1", "vmforge-rp0"}, {"data2", "vmforge-rp2"}}};
  req.pins = &pins;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  REQUIRE(layout->ports.size() == 3);
  CHECK(layout->ports[0].multifunction);
  CHECK_FALSE(layout->ports[2].multifunction);
  CHECK(layout->hot.at("data1").bus == "vmforge-rp0");
  CHECK(layout->hot.at("data2").bus == "vmforge-rp2");
  CHECK(pins_of(*layout) == pins);
}

TEST_CASE("a fresh layout's pins are its port count and its hot devices' ports", "[compiler]") {
  PciRequest req;
  req.hot = {"data1"};
  req.spare_ports = 2;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  CHECK(pins_of(*layout) == PciPins{3, {{"data1", "vmforge-rp0"}}});
  const PciPins same = pins_of(*layout);
  req.pins = &same;
  auto again = layout_pci(req);
  REQUIRE(again);
  CHECK(again->hot.at("data1").bus == "vmforge-rp0");
  CHECK(again->ports.size() == 3);
}

TEST_CASE("pins that do not match the manifest's hot devices are refused with what differs", "[compiler]") {
  PciRequest req;
  req.hot = {"data1", "eth1"};
  const PciPins pins{2, {{"data1", "vmforge-rp0"}, {"old", "vmforge-rp1"}}};
  req.pins = &pins;
  auto layout = layout_pci(req);
  REQUIRE_FALSE(layout);
  CHECK(layout.error().message ==
        "the running VM has 'old' on its hotplug root ports, which this manifest does not hot-plug; this manifest "
        "hot-plugs 'eth1', which the running VM lacks; make the running VM match the manifest first ('vmforge apply "
        "FILE' where it runs), then migrate again");
  req.hot = {"data1", "old"};
  const PciPins outside{1, {{"data1", "vmforge-rp0"}, {"old", "vmforge-rp1"}}};
  req.pins = &outside;
  layout = layout_pci(req);
  REQUIRE_FALSE(layout);
  CHECK(layout.error().message.find("names root ports it does not have or uses twice (old on vmforge-rp1)") !=
        std::string::npos);
  const PciPins twice{2, {{"data1", "vmforge-rp0"}, {"old", "vmforge-rp0"}}};
  req.pins = &twice;
  CHECK_FALSE(layout_pci(req));
}

TEST_CASE("pc: hot devices take the source's slots of pci.0, and a fresh layout's pins are its slots", "[compiler]") {
  PciRequest req;
  req.family = MachineFamily::pc;
  req.cold = {"root"};           // slot 2
  req.hot = {"data2", "data3"};  // fresh: slots 3 and 4
  auto fresh = layout_pci(req);
  REQUIRE(fresh);
  CHECK(pins_of(*fresh) == PciPins{0, {}, {{"data2", 0x03}, {"data3", 0x04}}});
  // The source removed data1 (slot 3) and added data3 live, into slot 3.
  const PciPins pins{0, {}, {{"data2", 0x04}, {"data3", 0x03}}};
  req.pins = &pins;
  auto layout = layout_pci(req);
  REQUIRE(layout);
  CHECK(layout->cold.at("root").slot() == 0x02);
  CHECK(layout->hot.at("data2").addr->slot() == 0x04);
  CHECK(layout->hot.at("data3").addr->slot() == 0x03);
  CHECK(layout->hot.at("data3").bus == "pci.0");
  CHECK(pins_of(*layout) == pins);
}

TEST_CASE("pc: slots that do not fit the manifest are refused with what differs", "[compiler]") {
  PciRequest req;
  req.family = MachineFamily::pc;
  req.cold = {"root"};  // slot 2
  req.hot = {"data1", "eth1"};
  auto refusal = [&](const PciPins& pins) {
    req.pins = &pins;
    auto layout = layout_pci(req);
    return layout ? std::string("laid out") : layout.error().message;
  };
  CHECK(refusal(PciPins{0, {}, {{"data1", 0x03}, {"old", 0x04}}}) ==
        "the running VM has 'old' hot-plugged on 'pci.0', which this manifest does not hot-plug; this manifest "
        "hot-plugs 'eth1', which the running VM lacks; make the running VM match the manifest first ('vmforge apply "
        "FILE' where it runs), then migrate again");
  req.hot = {"data1"};
  CHECK(refusal(PciPins{0, {}, {{"data1", 0x02}}}).find("taken here by a cold-plugged device (data1 in slot 0x02)") !=
        std::string::npos);
  CHECK(refusal(PciPins{0, {}, {{"data1", 0x00}}}).find("off the bus") != std::string::npos);
  CHECK(refusal(PciPins{0, {}, {{"data1", 0x03}}}) == "laid out");
}
