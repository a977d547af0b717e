// Images::pull: the registry client stores the blobs, the service records the name.
#include "image/registry/pull.h"

#include "image/service/images.h"

namespace skiff::image {

PullResult Images::pull(std::string_view ref, PullOptions opts) {
  if (opts.platform.empty()) opts.platform = opts_.platform;
  // Shared until the name is recorded, as for an import.
  StoreLock shared = store_.lock(StoreLock::Mode::kShared);
  PullResult result = pull_image(store_, ref, opts);
  // A re-pull that found the same image leaves refs.json alone: no rewrite, no fsync.
  auto existing = refs_.get(result.reference);
  if (!existing || existing->target.digest != result.top.digest ||
      existing->manifest != result.manifest.digest) {
    refs_.put(ImageRecord{result.reference, result.top, result.manifest.digest, now_rfc3339()});
  }
  return result;
}

}  // namespace skiff::image
