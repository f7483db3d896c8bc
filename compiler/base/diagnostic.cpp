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
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
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

/// Lines of a source text by number, found in one pass: looking each diagnostic's line up from
/// the start made rendering 40,000 of them take 10 s.
class SourceLines {
 public:
  explicit SourceLines(std::string_view source) : source_(source) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\n') starts_.push_back(i + 1);
    }
  }

  std::string_view line(std::uint32_t number) const {
    if (number == 0 || number > starts_.size()) return {};
    const std::size_t start = starts_[number - 1];
    std::string_view text = source_.substr(start);
    text = text.substr(0, text.find('\n'));
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return text;
  }

 private:
  std::string_view source_;
  std::vector<std::size_t> starts_;
};

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

/// The source line under a diagnostic and its caret, a long line cut to a window around the
/// column (a 10 MiB line must not become 10 MB of stderr).
std::string quote_line(std::string_view text, std::uint32_t column) {
  constexpr std::size_t kHalfWindow = 60;
  std::size_t caret = column > 0 ? column - 1 : 0;
  std::size_t from = 0;
  std::size_t to = text.size();
  if (text.size() > 2 * kHalfWindow) {
    from = std::min(caret > kHalfWindow ? caret - kHalfWindow : 0, text.size() - 2 * kHalfWindow);
    to = std::min(text.size(), from + 2 * kHalfWindow);
    while (from > 0 && is_continuation(text[from])) --from;  // whole UTF-8 characters
    while (to < text.size() && is_continuation(text[to])) ++to;
  }
  const std::string_view head = from > 0 ? "..." : "";
  std::string out = fmt::format("    {}{}{}\n", head, text.substr(from, to - from), to < text.size() ? "..." : "");
  if (column > 0) {
    // Keep tabs so the caret lines up under the same column in a terminal.
    std::string pad(head.size(), ' ');
    for (std::size_t i = from; i < caret && i < to; ++i) pad += text[i] == '\t' ? '\t' : ' ';
    out += fmt::format("    {}^\n", pad);
  }
  return out;
}

}  // namespace

std::string Diagnostics::render(std::string_view source) const {
  // Like compilers: past the first kMaxRendered problems, a count (each with its notes).
  constexpr std::size_t kMaxRendered = 50;
  const SourceLines lines(source);
  std::string out;
  std::size_t shown = 0;
  std::size_t hidden = 0;
  for (const Diagnostic& d : items_) {
    const bool head = d.severity != Severity::note;
    if (head && shown == kMaxRendered) ++hidden;
    if (hidden > 0) continue;
    if (head) ++shown;
    const SourceLoc& loc = d.loc;
    if (loc.line == 0) {
      out += fmt::format("{}: {}: {}\n", loc.path, to_string(d.severity), d.message);
      continue;
    }
    if (loc.column == 0) {
      out += fmt::format("{}:{}: {}: {}\n", loc.path, loc.line, to_string(d.severity), d.message);
    } else {
      out += fmt::format("{}:{}:{}: {}: {}\n", loc.path, loc.line, loc.column, to_string(d.severity), d.message);
    }
    std::string_view text = lines.line(loc.line);
    if (!text.empty()) out += quote_line(text, loc.column);
  }
  if (hidden > 0) out += fmt::format("... and {} more problems (only the first {} are shown)\n", hidden, kMaxRendered);
  return out;
}

}  // namespace vmforge
