// source_path() and file_text().
#include "tests/support/source_tree.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace vmforge::test {

std::filesystem::path source_path(std::string_view relative) {
  const char* root = std::getenv("VMFORGE_SOURCE_DIR");
  if (root == nullptr) FAIL("VMFORGE_SOURCE_DIR is not set: run the test through meson");
  const std::filesystem::path dir(root);
  return relative.empty() ? dir : dir / relative;
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace vmforge::test
