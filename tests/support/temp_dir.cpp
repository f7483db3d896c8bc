// TempDir: mkdtemp under /tmp; std::filesystem::remove_all (error_code form) at the end.
#include "tests/support/temp_dir.hpp"

#include <stdlib.h>
#include <string.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <catch2/catch.hpp>

namespace vmforge::test {

Result<TempDir> TempDir::create() {
  std::string pattern = "/tmp/vmf-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr)
    return unexpected(
        Error(fmt::format("Failed to create a temporary directory under '/tmp': {}", strerrordesc_np(errno)), errno));
  return TempDir(std::move(pattern));
}

TempDir temp_dir() {
  auto dir = TempDir::create();
  if (!dir) FAIL(dir.error().message);
  return std::move(*dir);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() { remove(); }

void TempDir::remove() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

std::string TempDir::file(std::string_view name) const { return fmt::format("{}/{}", path_, name); }

}  // namespace vmforge::test
