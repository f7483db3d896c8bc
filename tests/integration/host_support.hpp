// The host support a live test needs and this host may lack (a kernel module, a device bound to
// vfio-pci): such a test links host_support_main.cpp and defines missing_host_support().
#pragma once

#include <optional>
#include <string>

namespace vmforge::test {

/// Defined by each test that links host_support_main.cpp: one sentence saying what this host
/// lacks and how to provide it, or nullopt when it has everything the test needs.
std::optional<std::string> missing_host_support();

}  // namespace vmforge::test
