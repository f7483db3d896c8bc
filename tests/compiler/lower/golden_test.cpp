// Golden test: every examples/*.toml compiles to exactly tests/compiler/lower/golden/<name>.json (the
// `vmforge compile` JSON with the source directory written as @SRCDIR@, and the fd sets of
// hot-plugged files, a hash of their absolute path, as @FDSET1@, @FDSET2@... in order). Run with
// VMFORGE_UPDATE_GOLDEN=1 to rewrite the goldens after an intended change, then review the diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "tests/support/source_tree.hpp"

namespace fs = std::filesystem;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Hot fd set ids (2^30 and up: ten digits) depend on where the checkout is.
std::string mask_hot_fdsets(const std::string& json) {
  static const std::regex kHotSet(R"((/dev/fdset/|"fdset-id":)(\d{10}))");
  std::map<std::string, std::size_t> numbers;
  std::string out;
  auto last = json.cbegin();
  for (std::sregex_iterator it(json.begin(), json.end(), kHotSet), end; it != end; ++it) {
    const auto& m = *it;
    out.append(last, m[0].first);
    const std::size_t n = numbers.emplace(m[2].str(), numbers.size() + 1).first->second;
    out += m[1].str() + "@FDSET" + std::to_string(n) + "@";
    last = m[0].second;
  }
  out.append(last, json.cend());
  return out;
}

std::vector<fs::path> files_with_extension(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every example compiles to its golden JSON", "[compiler][golden]") {
  const fs::path root = vmforge::test::source_path();
  const fs::path golden_dir = root / "tests/compiler/lower/golden";
  const bool update = std::getenv("VMFORGE_UPDATE_GOLDEN") != nullptr;
  const auto examples = files_with_extension(root / "examples", ".toml");
  REQUIRE_FALSE(examples.empty());

  for (const fs::path& example : examples) {
    INFO("example " << example.filename().string());
    auto vm = vmforge::load_and_validate(example.string());
    if (!vm) FAIL(vm.error().render(vmforge::test::file_text(example)));
    auto plan = vmforge::lower(*vm);
    if (!plan) FAIL(plan.error().render(vmforge::test::file_text(example)));
    const std::string json = mask_hot_fdsets(replace_all(vmforge::render_plan_json(*plan), root.string(), "@SRCDIR@"));
    const fs::path golden = golden_dir / (example.stem().string() + ".json");
    if (update) {
      fs::create_directories(golden_dir);
      std::ofstream(golden, std::ios::binary) << json;
      continue;
    }
    REQUIRE(fs::exists(golden));
    CHECK(vmforge::test::file_text(golden) == json);
  }

  // No golden without its example (a renamed or deleted example leaves none behind).
  for (const fs::path& golden : files_with_extension(golden_dir, ".json")) {
    INFO("golden " << golden.filename().string());
    CHECK(fs::exists(root / "examples" / (golden.stem().string() + ".toml")));
  }
}
