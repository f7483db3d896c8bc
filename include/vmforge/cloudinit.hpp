// <vmforge/cloudinit.hpp>: the cloud-init seed image builder. vmforge::cloudinit::build_seed_image
// makes the NoCloud ("cidata") or ConfigDrive ("config-2") ISO 9660 image in memory; libisofs
// is opened with dlopen when first needed.
#pragma once

#include "supervisor/cloudinit/seed.hpp"
