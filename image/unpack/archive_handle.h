// RAII owners for libarchive handles: freed exactly once on every path, including throws.
#pragma once

#include <archive.h>

#include <memory>

namespace skiff::image {

struct ArchiveReadFree {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
struct ArchiveWriteFree {
  // archive_write_free also closes; a caller that needs close's result calls
  // archive_write_close itself first (closing twice is harmless).
  void operator()(struct archive* a) const noexcept { archive_write_free(a); }
};

using ArchiveReader = std::unique_ptr<struct archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriteFree>;

}  // namespace skiff::image
