#include "image/bundle/user_lookup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <sstream>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::image {
namespace {

// Reads rootfs/etc/NAME, never following a symlink: an image's /etc/passwd pointing at
// the host's would leak host accounts into the container. Missing files read as empty
// (scratch images have none, and numeric users still work).
std::string read_etc_file(const std::filesystem::path& rootfs, const char* name) {
  const std::string shown = std::string("/etc/") + name;
  UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open rootfs", rootfs.string());
  UniqueFd etc(::openat(root.get(), "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc) {
    if (errno == ENOENT) return {};
    if (errno == ELOOP || errno == ENOTDIR) {
      throw Error("rootfs /etc is a symlink or not a directory; refusing to read " + shown);
    }
    throw_errno("open", (rootfs / "etc").string());
  }
  UniqueFd file(::openat(etc.get(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file) {
    if (errno == ENOENT) return {};
    if (errno == ELOOP) throw Error("rootfs " + shown + " is a symlink; refusing to follow it");
    throw_errno("open", (rootfs / "etc" / name).string());
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) throw_errno("stat", (rootfs / "etc" / name).string());
  // A FIFO or device would block or read the host's hardware.
  if (!S_ISREG(st.st_mode)) throw Error("rootfs " + shown + " is not a regular file");
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", (rootfs / "etc" / name).string());
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::optional<std::uint32_t> parse_id(const std::string& s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One line of passwd (name:pw:uid:gid:...) or group (name:pw:gid:members).
struct Entry {
  std::string name;
  std::uint32_t id = 0;
  std::uint32_t gid = 0;             // passwd only
  std::vector<std::string> members;  // group only
};

std::vector<Entry> parse_db(const std::string& text, bool passwd) {
  std::vector<Entry> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < (passwd ? 4u : 3u)) continue;  // malformed lines are skipped, as libc does
    std::optional<std::uint32_t> id = parse_id(f[2]);
    if (!id) continue;
    Entry e{f[0], *id, 0, {}};
    if (passwd) {
      std::optional<std::uint32_t> gid = parse_id(f[3]);
      if (!gid) continue;
      e.gid = *gid;
    } else if (f.size() > 3 && !f[3].empty()) {
      e.members = split(f[3], ',');
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

ResolvedUser resolve_user(const std::filesystem::path& rootfs, const std::string& user,
                          const std::string& field) {
  const std::string shown = field + " \"" + user + "\"";
  const auto colon = user.find(':');
  const std::string user_part = user.substr(0, colon);
  const std::string group_part = colon == std::string::npos ? "" : user.substr(colon + 1);
  if (colon != std::string::npos && group_part.empty()) throw Error(shown + ": empty group");

  const std::vector<Entry> passwd = parse_db(read_etc_file(rootfs, "passwd"), true);
  ResolvedUser out;
  std::string name;  // for group membership; empty for a uid without a passwd entry
  if (user_part.empty()) {
    if (colon != std::string::npos) throw Error(shown + ": empty user");
    name = "root";
  } else if (std::optional<std::uint32_t> uid = parse_id(user_part)) {
    out.uid = *uid;
    for (const Entry& e : passwd) {
      if (e.id == *uid) {
        name = e.name;
        out.gid = e.gid;
        break;
      }
    }
  } else {
    bool found = false;
    for (const Entry& e : passwd) {
      if (e.name == user_part) {
        name = e.name;
        out.uid = e.id;
        out.gid = e.gid;
        found = true;
        break;
      }
    }
    if (!found) throw Error(shown + ": no user \"" + user_part + "\" in the image's /etc/passwd");
  }

  const std::vector<Entry> groups = parse_db(read_etc_file(rootfs, "group"), false);
  if (!group_part.empty()) {
    if (std::optional<std::uint32_t> gid = parse_id(group_part)) {
      out.gid = *gid;
    } else {
      bool found = false;
      for (const Entry& g : groups) {
        if (g.name == group_part) {
          out.gid = g.id;
          found = true;
          break;
        }
      }
      if (!found) {
        throw Error(shown + ": no group \"" + group_part + "\" in the image's /etc/group");
      }
    }
  }
  if (!name.empty()) {
    for (const Entry& g : groups) {
      if (g.id == out.gid) continue;
      for (const std::string& m : g.members) {
        if (m == name) {
          bool seen = false;
          for (std::uint32_t x : out.additional_gids) seen = seen || x == g.id;
          if (!seen) out.additional_gids.push_back(g.id);
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace skiff::image
