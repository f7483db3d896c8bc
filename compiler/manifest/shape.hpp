// The shape check: every key known, every value of the declared type and allowed value, every
// string free of characters a QEMU argument cannot carry. Runs before field validation, which
// then reads values without repeating these checks.
#pragma once

#include "compiler/base/diagnostic.hpp"
#include "compiler/manifest/raw_manifest.hpp"

namespace vmforge {

/// Adds one diagnostic per problem to `diags`; never stops early.
void check_shape(const RawValue& root, Diagnostics& diags);

}  // namespace vmforge
