// A TOML lexer that knows only what nests: strings and comments (skipped whole), dots between
// key parts, table headers, brackets and braces. Values are not told from keys: a float's dot
// or a value's brackets only make the bound larger, never smaller.
#include "compiler/manifest/depth.hpp"

#include <vector>

namespace vmforge {

namespace {

bool is_bare(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class DepthScanner {
 public:
  DepthScanner(std::string_view text, std::size_t limit) : text_(text), limit_(limit) {}

  std::optional<TextPos> run() {
    while (!at_end()) {
      const TextPos here = pos_;
      const char c = peek();
      if (c == '#') {
        while (!at_end() && peek() != '\n') advance();
      } else if (c == '\n') {
        advance();
        // A new line at the top level starts a new key (or header); inside an array it does not.
        if (stack_.empty() && !in_header_) end_expression(true);
      } else if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (c == '.') {
        after_dot_ = true;
        advance();
      } else if (c == '"' || c == '\'' || is_bare(c)) {
        if (is_bare(c)) {
          while (!at_end() && is_bare(peek())) advance();
        } else {
          skip_string(c);
        }
        part_ = after_dot_ ? part_ + 1 : 1;
        after_dot_ = false;
        line_start_ = false;
        if (base() + part_ > limit_) return here;
      } else if (!punctuation(c)) {
        return here;
      }
    }
    return std::nullopt;
  }

 private:
  bool at_end() const { return i_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const { return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0'; }

  void advance() {
    if (text_[i_] == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else if ((static_cast<unsigned char>(text_[i_]) & 0xc0) != 0x80) {
      ++pos_.column;  // columns count characters, as toml++'s do, not UTF-8 continuation bytes
    }
    ++i_;
  }

  void end_expression(bool new_line) {
    part_ = 0;
    key_parts_ = 0;
    after_dot_ = false;
    line_start_ = new_line;
  }

  /// The depth the keys at this point hang from: the open bracket's, else the current header's.
  std::size_t base() const {
    if (!stack_.empty()) return stack_.back();
    return in_header_ ? 0 : header_;
  }

  /// Handles one character that is not part of a key; false when it nests deeper than allowed.
  bool punctuation(char c) {
    after_dot_ = false;
    if (c == '[' && stack_.empty() && !in_header_ && line_start_) {
      in_header_ = true;  // [table] or [[array.of.tables]]
      advance();
      if (peek() == '[') advance();
      end_expression(false);
      return true;
    }
    if (c == ']' && stack_.empty() && in_header_) {
      in_header_ = false;
      header_ = part_ + 1;  // +1: an array of tables adds a level under its key
      advance();
      if (peek() == ']') advance();
      end_expression(false);
      return true;
    }
    if (c == '[' || c == '{') {
      const std::size_t depth = base() + key_parts_ + 1;
      if (depth > limit_) return false;
      stack_.push_back(depth);
      end_expression(false);
    } else if (c == ']' || c == '}') {
      if (!stack_.empty()) stack_.pop_back();
      end_expression(false);
    } else if (c == '=') {
      key_parts_ = part_;
      part_ = 0;
    } else if (c == ',') {
      end_expression(false);
    } else {
      part_ = 0;  // ':' '+' ... inside a value: no key continues across it
    }
    line_start_ = false;
    advance();
    return true;
  }

  /// Skips a basic or literal string, single- or multi-line, from its opening quote.
  void skip_string(char quote) {
    const bool escapes = quote == '"';
    if (peek(1) == quote && peek(2) == quote) {
      for (int n = 0; n < 3; ++n) advance();
      while (!at_end()) {
        if (escapes && peek() == '\\') {
          advance();
          if (!at_end()) advance();
        } else if (peek() == quote && peek(1) == quote && peek(2) == quote) {
          for (int n = 0; n < 3; ++n) advance();
          for (int n = 0; n < 2 && peek() == quote; ++n) advance();  // """a"""" ends in a quote
          return;
        } else {
          advance();
        }
      }
      return;
    }
    advance();
    while (!at_end() && peek() != '\n') {
      const char c = peek();
      advance();
      if (c == quote) return;
      if (escapes && c == '\\' && !at_end() && peek() != '\n') advance();
    }
  }

  std::string_view text_;
  std::size_t limit_;
  std::size_t i_ = 0;
  TextPos pos_;
  std::vector<std::size_t> stack_;  // per open '[' or '{': the depth its contents sit at
  std::size_t header_ = 0;          // depth of the current [table]'s keys
  std::size_t part_ = 0;            // parts of the dotted key being read
  std::size_t key_parts_ = 0;       // parts of the key before the last '='
  bool after_dot_ = false;
  bool in_header_ = false;
  bool line_start_ = true;
};

}  // namespace

std::optional<TextPos> find_too_deep(std::string_view text, std::size_t limit) {
  return DepthScanner(text, limit).run();
}

}  // namespace vmforge
