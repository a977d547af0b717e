// Platforms ("os/arch[/variant]") and the choice of one manifest from an index, with the
// normalisation containerd and podman apply (aarch64 = arm64, arm64 implies v8, ...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "image/store/oci_types.h"

namespace skiff::image {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // may be empty

  // "linux/arm64/v8", "linux/amd64"; throws skiff::Error naming the text.
  static Platform parse(std::string_view text);
  // The machine we run on (uname), normalised.
  static Platform host();
  // An index entry's "platform" object; empty fields if absent or malformed.
  static Platform from_json(const nlohmann::json& j);

  std::string str() const;
};

// Normalised copy: lower case, architecture aliases, default variants (arm64 -> v8,
// arm -> v7) so that equal platforms compare equal.
Platform normalize(Platform p);

// True if an index entry for `offered` can run where `wanted` asks. An empty wanted
// variant accepts any variant of the architecture except on arm, where it means the
// default.
bool platform_matches(const Platform& wanted, const Platform& offered);

// Picks the image manifest for `wanted` out of `index` (first match, in index order).
// Throws skiff::Error naming `where` and listing the platforms the index offers.
const Descriptor& choose_platform(const Index& index, const Platform& wanted,
                                  std::string_view where);

}  // namespace skiff::image
