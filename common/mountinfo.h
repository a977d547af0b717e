// /proc/PID/mountinfo, parsed. Header-only so the static test probe can share it.
//   "36 35 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu"
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

struct MountInfo {
  std::string root;  // the path inside the filesystem that is mounted
  std::string mount_point;
  std::string options;                // per-mount options
  std::vector<std::string> optional;  // propagation: "shared:9", "master:3", ...
  std::string fs_type;
  std::string source;
  std::string super_options;  // per-superblock options (cgroup v1 lists its controllers here)
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
inline std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Lines that do not have the documented shape are skipped.
inline std::vector<MountInfo> parse_mountinfo_text(std::string_view text) {
  std::vector<MountInfo> out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 6 || dash + 2 >= f.size()) continue;
    MountInfo m;
    m.root = unescape_mountinfo(f[3]);
    m.mount_point = unescape_mountinfo(f[4]);
    m.options = f[5];
    m.optional.assign(f.begin() + 6, f.begin() + static_cast<std::ptrdiff_t>(dash));
    m.fs_type = f[dash + 1];
    m.source = unescape_mountinfo(f[dash + 2]);
    if (dash + 3 < f.size()) m.super_options = f[dash + 3];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace skiff
