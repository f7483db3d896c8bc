// Seed layouts of NoCloud and ConfigDrive, as cloud-init's datasources read them.
#include "supervisor/cloudinit/seed.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"

namespace vmforge::cloudinit {
namespace {

// config-2 keeps its metadata in JSON files; a typo there would only show inside the guest.
Result<void> require_json_object(const std::string& text, std::string_view what, std::string_view file) {
  auto value = parse_json(text);
  if (value && value->as_object() != nullptr) return {};
  return unexpected(Error(fmt::format("The {} of a config-2 seed must be a JSON object (it becomes "
                                      "openstack/latest/{}){}",
                                      what, file, value ? "" : ": " + value.error().message),
                          EINVAL));
}

}  // namespace

Result<SeedLayout> seed_layout(CloudInitFormat format, const SeedContent& content) {
  SeedLayout layout;
  if (format == CloudInitFormat::nocloud) {
    layout.volume_id = "cidata";
    layout.files = {{"user-data", content.user_data, 0400}, {"meta-data", content.meta_data, 0444}};
    if (content.network_config) layout.files.push_back({"network-config", *content.network_config, 0444});
    return layout;
  }
  VMFORGE_TRY_VOID(require_json_object(content.meta_data, "meta-data", "meta_data.json"));
  if (content.network_config)
    VMFORGE_TRY_VOID(require_json_object(*content.network_config, "network config", "network_data.json"));
  layout.volume_id = "config-2";
  layout.files = {{"openstack/latest/user_data", content.user_data, 0400},
                  {"openstack/latest/meta_data.json", content.meta_data, 0444}};
  if (content.network_config)
    layout.files.push_back({"openstack/latest/network_data.json", *content.network_config, 0444});
  return layout;
}

Result<std::string> build_seed_image(CloudInitFormat format, const SeedContent& content) {
  VMFORGE_TRY(SeedLayout layout, seed_layout(format, content));
  return build_iso(layout);
}

}  // namespace vmforge::cloudinit
