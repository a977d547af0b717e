// Entry names as found in a layer, reduced to a safe relative form, and OCI whiteouts.
#pragma once

#include <string>
#include <string_view>

namespace skiff::image {

// Returns `name` relative to the layer root with "." and empty components dropped
// ("./a//b/" -> "a/b"; "./" -> ""). Throws skiff::Error naming the rule when the name is
// absolute or has a ".." component: such entries are refused outright, not rewritten,
// because a layer that tries them is hostile or broken.
std::string normalize_entry_path(std::string_view name);

// Parent directory of a normalized path ("" for a top-level name).
std::string parent_of(const std::string& rel);
// Last component of a normalized path.
std::string basename_of(const std::string& rel);

struct Whiteout {
  enum class Kind { none, file, opaque, other_meta } kind = Kind::none;
  std::string dir;   // directory the marker sits in (normalized, "" = root)
  std::string name;  // for Kind::file: the name it hides
};

// Classifies a normalized entry path: "d/.wh.NAME" hides d/NAME, "d/.wh..wh..opq" makes d
// opaque, other ".wh..wh." names are AUFS bookkeeping to drop. Throws for a whiteout
// whose hidden name is empty, "." or "..".
Whiteout classify_whiteout(const std::string& rel);

}  // namespace skiff::image
