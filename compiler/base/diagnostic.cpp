// Collecting, sorting and rendering diagnostics.
#include "compiler/base/diagnostic.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace vmforge {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

void Diagnostics::error(SourceLoc loc, std::string message) {
  items_.push_back({std::move(loc), Severity::error, std::move(message)});
}

void Diagnostics::warning(SourceLoc loc, std::string message) {
  items_.push_back({std::move(loc), Severity::warning, std::move(message)});
}

void Diagnostics::note(SourceLoc loc, std::string message) {
  items_.push_back({std::move(loc), Severity::note, std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

void Diagnostics::sort() {
  // A note belongs to the diagnostic before it: sort groups, keyed by their head.
  std::vector<std::vector<Diagnostic>> groups;
  for (auto& d : items_) {
    if (d.severity == Severity::note && !groups.empty()) {
      groups.back().push_back(std::move(d));
    } else {
      groups.push_back({std::move(d)});
    }
  }
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
    const SourceLoc& x = a.front().loc;
    const SourceLoc& y = b.front().loc;
    return std::tie(x.path, x.line, x.column) < std::tie(y.path, y.line, y.column);
  });
  items_.clear();
  for (auto& g : groups) {
    for (auto& d : g) items_.push_back(std::move(d));
  }
}

namespace {

std::string_view source_line(std::string_view source, std::uint32_t line) {
  std::size_t start = 0;
  for (std::uint32_t n = 1; n < line; ++n) {
    std::size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  std::size_t end = source.find('\n', start);
  std::string_view text = source.substr(start, end == std::string_view::npos ? source.npos : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string Diagnostics::render(std::string_view source) const {
  std::string out;
  for (const Diagnostic& d : items_) {
    const SourceLoc& loc = d.loc;
    if (loc.line == 0) {
      out += fmt::format("{}: {}: {}\n", loc.path, to_string(d.severity), d.message);
      continue;
    }
    if (loc.column == 0) {
      out += fmt::format("{}:{}: {}: {}\n", loc.path, loc.line, to_string(d.severity), d.message);
    } else {
      out += fmt::format("{}:{}:{}: {}: {}\n", loc.path, loc.line, loc.column,
                         to_string(d.severity), d.message);
    }
    std::string_view text = source_line(source, loc.line);
    if (text.empty()) continue;
    out += fmt::format("    {}\n", text);
    if (loc.column > 0) {
      // Keep tabs so the caret lines up under the same column in a terminal.
      std::string pad;
      for (std::uint32_t i = 0; i + 1 < loc.column && i < text.size(); ++i) {
        pad += text[i] == '\t' ? '\t' : ' ';
      }
      out += fmt::format("    {}^\n", pad);
    }
  }
  return out;
}

}  // namespace vmforge
