// TempDir: a short, private directory under /tmp for one test, removed with what it holds.
#pragma once

#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::test {

class TempDir {
 public:
  /// mkdtemp("/tmp/vmf-XXXXXX"), mode 0700: short enough for unix socket paths inside it.
  static Result<TempDir> create();

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// Removes the directory and everything below it.
  ~TempDir();

  const std::string& path() const { return path_; }
  /// `path()/name`.
  std::string file(std::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void remove();

  std::string path_;
};

/// TempDir::create() inside a test case: a failure to make the directory fails the test case.
TempDir temp_dir();

}  // namespace vmforge::test
