// Cloud-init seed images: the file layout of ConfigDrive ("config-2") and NoCloud ("cidata")
// and the ISO 9660 image (Rock Ridge + Joliet) holding it. Used by `vmforge cloud-init` and by
// the supervisor, which builds a VM's seed when it starts.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "compiler/model/enums.hpp"

namespace vmforge::cloudinit {

/// What goes on the seed, as given by the user (bytes, not interpreted except as noted).
struct SeedContent {
  std::string user_data;
  std::string meta_data;                      // config-2: must be a JSON object (meta_data.json)
  std::optional<std::string> network_config;  // config-2: network_data.json (OpenStack JSON)
};

/// One file of the image.
struct SeedFile {
  std::string path;  // relative, '/'-separated
  std::string content;
  mode_t mode = 0444;
};

struct SeedLayout {
  std::string volume_id;  // "config-2" or "cidata": what cloud-init looks for
  std::vector<SeedFile> files;
};

/// The layout cloud-init expects for `format`:
///   nocloud:  cidata   user-data, meta-data, network-config
///   config-2: config-2 openstack/latest/{user_data, meta_data.json, network_data.json}
/// user-data is mode 0400 (it may hold secrets), the rest 0444. Fails if config-2 meta-data is
/// not a JSON object.
Result<SeedLayout> seed_layout(CloudInitFormat format, const SeedContent& content);

/// The ISO 9660 image (Rock Ridge and Joliet names, files owned by root) of `layout`. The
/// bytes depend only on the layout: timestamps are fixed, so the same seed is the same image.
Result<std::string> build_iso(const SeedLayout& layout);

/// seed_layout + build_iso: the seed image of `content` in `format`.
Result<std::string> build_seed_image(CloudInitFormat format, const SeedContent& content);

}  // namespace vmforge::cloudinit
