// Parsing JSON that comes from outside (frames, API bodies, task definitions, image
// manifests and configs, credentials, OCI config.json) with a cap on nesting depth.
//
// nlohmann's parser itself is iterative, but copying, comparing, dumping and destroying a
// document recurse once per level: a 750 KB frame nested 150,000 deep overflows an 8 MiB
// stack. So the depth is checked on the text, before any DOM is built.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace skiff {

// Every document Skiff reads is shallow: a skiff-protocol frame carrying a task definition
// is about 12 levels, an OCI config.json 6. 64 leaves ample room while keeping the recursion
// of a copy or dump to a few KiB of stack.
inline constexpr std::size_t kMaxJsonDepth = 64;

// A task definition travels inside other documents (a frame adds 4 levels, the agent's
// task record and API answers 2 or 3), so it gets half the budget. The agent refuses a
// deeper one, and the control plane refuses to register what the agent would refuse.
inline constexpr std::size_t kMaxTaskDefinitionDepth = 32;

// A refused document. The message names what was parsed and where it stopped:
// "frame:1:321: nested deeper than 64 levels", "body:1:7: malformed JSON: ...".
class JsonInputError : public Error {
 public:
  using Error::Error;
};

// The byte offset of the first bracket that opens level max_depth + 1, or npos if the
// text never nests deeper than max_depth. Only brackets outside strings count, which is
// exact for valid JSON; for invalid JSON it can only refuse, never accept, more.
inline std::size_t json_depth_violation(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

namespace json_detail {

// "L:C" (1-based) of byte `offset`.
inline std::string line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  const std::size_t stop = offset < text.size() ? offset : text.size();
  for (std::size_t i = 0; i < stop; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace json_detail

// Parses `text`, or throws JsonInputError naming `what`.
inline nlohmann::json parse_json(std::string_view text, std::string_view what,
                                 std::size_t max_depth = kMaxJsonDepth) {
  if (const auto at = json_depth_violation(text, max_depth); at != std::string_view::npos) {
    throw JsonInputError(std::string(what) + ":" + json_detail::line_column(text, at) +
                         ": nested deeper than " + std::to_string(max_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's text after "parse error at line L, column C: " says what it expected.
    std::string detail = e.what();
    const std::size_t colon = detail.find(": ", detail.find("parse error"));
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    throw JsonInputError(std::string(what) + ":" +
                         json_detail::line_column(text, e.byte == 0 ? 0 : e.byte - 1) +
                         ": malformed JSON: " + detail);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number too large for a double ("1E400") is out_of_range.406, not a parse_error.
    throw JsonInputError(std::string(what) + ": malformed JSON: " + e.what());
  }
}

// The same check for callers that answer a refusal with their own words: a discarded
// value (is_discarded()) instead of an exception, like json::parse(text, nullptr, false).
inline nlohmann::json parse_json_or_discarded(std::string_view text,
                                              std::size_t max_depth = kMaxJsonDepth) {
  if (json_depth_violation(text, max_depth) != std::string_view::npos) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace skiff
