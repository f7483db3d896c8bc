// The kind table: names, resource keys, QEMU types, and the manifest tables it names.
#include "compiler/model/resource_kind.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "compiler/manifest/keys.hpp"

namespace vmforge {
namespace {

TEST_CASE("every kind has a row with a name of its own that reads back as the kind", "[kinds]") {
  std::set<std::string_view> names;
  for (ResourceKind kind : all_kinds()) {
    const std::string_view name = to_string(kind);
    INFO(name);
    CHECK_FALSE(name.empty());
    CHECK(names.insert(name).second);
    CHECK(resource_kind_from_string(name) == kind);
    const ResourceKey key{kind, "dev0"};
    CHECK(ResourceKey::parse(key.str()) == key);
  }
}

TEST_CASE("every device kind comes from a manifest table; backends from none", "[kinds]") {
  for (ResourceKind kind : all_kinds()) {
    const KindFacts& row = facts(kind);
    INFO(row.name);
    if (row.backend) {
      CHECK(row.table.empty());
    } else {
      CHECK(find_table_spec(row.table) != nullptr);
    }
    CHECK(row.identity_qemu.empty() == row.identity_prop.empty());
  }
  CHECK(find_table_spec(facts(ResourceKind::fs).table)->display == "[[virtio_fs]]");
  CHECK(find_table_spec(facts(ResourceKind::console).table)->display == "[[serial]]");
}

TEST_CASE("a resource key is a known kind, a colon and an id", "[kinds]") {
  CHECK(ResourceKey::parse("disk:data1") == ResourceKey{ResourceKind::disk, "data1"});
  CHECK(ResourceKey::parse("cpu:3") == ResourceKey{ResourceKind::cpu, "3"});
  CHECK(ResourceKey::parse("scsi_controller:s0")->str() == "scsi_controller:s0");
  CHECK_FALSE(ResourceKey::parse("disk"));
  CHECK_FALSE(ResourceKey::parse("disk:"));
  CHECK_FALSE(ResourceKey::parse(":data1"));
  CHECK_FALSE(ResourceKey::parse("gpu:root"));
}

TEST_CASE("QEMU device types map to their kind, prefixes only where the row says so", "[kinds]") {
  CHECK(kind_of_qemu_type("virtio-blk-pci") == ResourceKind::disk);
  CHECK(kind_of_qemu_type("virtio-blk-device") == ResourceKind::disk);
  CHECK(kind_of_qemu_type("scsi-cd") == ResourceKind::disk);
  CHECK(kind_of_qemu_type("virtio-net-pci") == ResourceKind::net);
  CHECK(kind_of_qemu_type("virtserialport") == ResourceKind::channel);
  CHECK(kind_of_qemu_type("vfio-pci") == ResourceKind::vfio);
  CHECK(kind_of_qemu_type("virtio-scsi-pci") == ResourceKind::scsi_controller);
  CHECK_FALSE(kind_of_qemu_type("scsi-cd-x"));
  CHECK_FALSE(kind_of_qemu_type("pcie-root-port"));
  CHECK_FALSE(kind_of_qemu_type("nvdimm"));
}

}  // namespace
}  // namespace vmforge
