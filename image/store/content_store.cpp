#include "image/store/content_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SysError("create directory", dir.string(), ec.value());
}

}  // namespace

ContentStore::ContentStore(fs::path root) : root_(std::move(root)) {
  make_dirs(blobs_dir());
  make_dirs(ingest_dir());
  UniqueFd lock(::open(lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) throw_errno("create lock file", lock_file().string());
}

fs::path ContentStore::path(const Digest& digest) const {
  return blobs_dir() / digest.hex();
}

bool ContentStore::has(const Digest& digest) const {
  struct stat st {};
  if (::lstat(path(digest).c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT) return false;
  throw_errno("stat", path(digest).string());
}

std::uint64_t ContentStore::size(const Digest& digest) const {
  struct stat st {};
  if (::lstat(path(digest).c_str(), &st) != 0) {
    if (errno == ENOENT) {
      throw Error(fmt::format("blob {} is not in the store at {}", digest.str(), root_.string()));
    }
    throw_errno("stat", path(digest).string());
  }
  return static_cast<std::uint64_t>(st.st_size);
}

std::string ContentStore::read_small(const Digest& digest, std::size_t max) const {
  fs::path p = path(digest);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) {
      throw Error(fmt::format("blob {} is not in the store at {}", digest.str(), root_.string()));
    }
    throw_errno("open blob", p.string());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat", p.string());
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max) {
    throw Error(
        fmt::format("blob {} is {} bytes, more than the {} allowed here", digest.str(), size, max));
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", p.string());
    }
    if (n == 0) throw Error(fmt::format("read {}: blob shrank while reading", p.string()));
    got += static_cast<std::size_t>(n);
  }
  return data;
}

std::vector<Digest> ContentStore::list() const {
  std::vector<Digest> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(blobs_dir(), ec)) {
    std::string name = "sha256:" + entry.path().filename().string();
    if (Digest::problem(name).empty() && entry.is_regular_file())
      out.push_back(Digest::parse(name));
  }
  if (ec) throw SysError("list", blobs_dir().string(), ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace skiff::image
