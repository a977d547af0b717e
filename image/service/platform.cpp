#include "image/service/platform.h"

#include <fmt/format.h>

#include "common/error.h"
#include "image/registry/platform.h"

namespace skiff::image {

Descriptor choose_manifest(const ContentStore& store, const Descriptor& target,
                           std::string_view platform) {
  if (is_manifest_type(target.media_type)) return target;
  if (!is_index_type(target.media_type)) {
    throw Error(
        fmt::format("{}: unsupported media type \"{}\"", target.digest.str(), target.media_type));
  }
  std::string where = "index " + target.digest.str();
  Index idx =
      parse_index(store.read_small(target.digest, kMaxManifestSize), where, target.media_type);
  Platform want = platform.empty() ? Platform::host() : Platform::parse(platform);
  return choose_platform(idx, want, where);
}

}  // namespace skiff::image
