// Helpers for the lowering tests: a small valid Vm and lookups in the argv it lowers to.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "compiler/lower/lower.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge::test {

/// q35, TCG, 1 vCPU, 512M, nothing else: what validation makes of `name = "t"`.
inline Vm small_vm() {
  Vm vm;
  vm.name = std::string("t");  // not "t" itself: GCC 12 at -O3 warns falsely (-Wrestrict)
  vm.machine.accel = {Accel::tcg};
  vm.source_path = "/m/t.toml";
  vm.source_sha256 = "00";
  return vm;
}

inline Plan lowered(const Vm& vm) {
  auto plan = lower(vm);
  if (!plan) FAIL(plan.error().render(""));
  return *plan;
}

/// The values that follow each occurrence of `option`.
inline std::vector<std::string> values_of(const std::vector<std::string>& argv, std::string_view option) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == option) out.push_back(argv[i + 1]);
  }
  return out;
}

/// The single value of `option` whose text contains `needle` (fails the test otherwise).
inline std::string value_with(const std::vector<std::string>& argv, std::string_view option, std::string_view needle) {
  std::vector<std::string> hits;
  for (const auto& v : values_of(argv, option)) {
    if (v.find(needle) != std::string::npos) hits.push_back(v);
  }
  if (hits.size() != 1) FAIL("expected one " << option << " containing " << needle << ", found " << hits.size());
  return hits.front();
}

inline bool has_arg(const std::vector<std::string>& argv, std::string_view arg) {
  for (const auto& a : argv) {
    if (a == arg) return true;
  }
  return false;
}

}  // namespace vmforge::test
