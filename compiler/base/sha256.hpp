// SHA-256 (FIPS 180-4) of a byte string, for the manifest hash a plan carries.
#pragma once

#include <string>
#include <string_view>

namespace vmforge {

/// The digest of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace vmforge
