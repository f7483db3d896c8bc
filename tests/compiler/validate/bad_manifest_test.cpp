// Golden diagnostics: every tests/compiler/validate/bad/NAME.toml must fail validation, or else lowering
// (what `compile` and so `check` also run), with exactly the text in NAME.expected (rendered
// with the path "bad/NAME.toml"). VMFORGE_UPDATE_GOLDEN=1 rewrites them.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "tests/support/source_tree.hpp"

using namespace vmforge;
namespace fs = std::filesystem;

TEST_CASE("bad manifests give exactly the expected diagnostics", "[compiler]") {
  std::vector<fs::path> manifests;
  for (const auto& entry : fs::directory_iterator(test::source_path("tests/compiler/validate/bad"))) {
    if (entry.path().extension() == ".toml") manifests.push_back(entry.path());
  }
  std::sort(manifests.begin(), manifests.end());
  CHECK(manifests.size() >= 40);
  bool update = std::getenv("VMFORGE_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& manifest : manifests) {
    std::string name = "bad/" + manifest.filename().string();
    INFO(name);
    std::string text = test::file_text(manifest);
    auto vm = validate_text(text, name);
    std::string rendered;
    if (vm) {
      auto plan = lower(*vm);
      REQUIRE_FALSE(plan.has_value());
      rendered = plan.error().render(text);
    } else {
      rendered = vm.error().render(text);
    }
    fs::path expected_path = fs::path(manifest).replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << rendered;
      continue;
    }
    REQUIRE(fs::exists(expected_path));
    CHECK(rendered == test::file_text(expected_path));
  }
}

TEST_CASE("every example manifest compiles cleanly", "[compiler]") {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(test::source_path("examples"))) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    auto vm = load_and_validate(entry.path().string());
    if (!vm) FAIL(vm.error().render(test::file_text(entry.path())));
    ++count;
  }
  CHECK(count >= 10);
}
