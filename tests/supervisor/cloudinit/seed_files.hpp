// Test helper: a seed image built by vmforge, written to a file in a test's directory.
#pragma once

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "supervisor/cloudinit/seed.hpp"
#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

namespace vmforge::test {

inline std::string write_seed_file(const TempDir& dir, const std::string& name, CloudInitFormat format,
                                   const cloudinit::SeedContent& content) {
  auto iso = cloudinit::build_seed_image(format, content);
  REQUIRE(iso);
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << *iso;
  return path;
}

}  // namespace vmforge::test
