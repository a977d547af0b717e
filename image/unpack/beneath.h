// Walking a path below a root directory fd without ever following a symlink, so that a
// layer's own symlinks cannot redirect our writes (whiteouts, hardlinks) outside dest.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace skiff::image {

// Opens directory `rel` (normalized, "" = root itself) beneath `root_fd`. Any component
// that is a symlink is refused with skiff::Error naming it; a non-directory likewise.
// A missing component is created (0755) when `create`, else an empty UniqueFd is returned.
UniqueFd open_dir_beneath(int root_fd, const std::string& rel, bool create);

// Removes `name` inside `dir_fd` recursively, never following symlinks. Missing is fine.
void remove_tree_at(int dir_fd, const std::string& name, const std::string& shown_path);

}  // namespace skiff::image
