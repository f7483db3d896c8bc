// Diagnostics: positioned messages about a manifest, rendered GCC-style with the source line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vmforge {

struct SourceLoc {
  std::string path;
  std::uint32_t line = 0;    // 1-based; 0 means "the file as a whole"
  std::uint32_t column = 0;  // 1-based; 0 means "the whole line"

  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

enum class Severity { error, warning, note };

struct Diagnostic {
  SourceLoc loc;
  Severity severity = Severity::error;
  std::string message;
};

/// An ordered collection of diagnostics; validation collects all of them instead of stopping.
class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message);
  void warning(SourceLoc loc, std::string message);
  void note(SourceLoc loc, std::string message);
  void append(const Diagnostics& other);

  bool has_errors() const;
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  /// Stable sort by (path, line, column); notes stay behind the diagnostic they follow.
  void sort();

  /// `path:line:col: error: message`, then the source line (a long one cut around the column)
  /// and a caret under the column; past the first 50 errors and warnings, only their count.
  /// `source` is the text of the file the diagnostics point into (may be empty).
  std::string render(std::string_view source) const;

 private:
  std::vector<Diagnostic> items_;
};

std::string_view to_string(Severity severity);

}  // namespace vmforge
