#include "agent/shim/file_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdio>

#include "agent/shim/timestamp.h"
#include "common/error.h"

namespace skiff::agent {

FileLog::FileLog(std::string path, unsigned long long max_size, unsigned max_files)
    : path_(std::move(path)), max_size_(max_size), max_files_(max_files == 0 ? 1 : max_files) {
  open_file();
}

void FileLog::open_file() {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (!fd_) throw_errno("open log file", path_);
  struct stat st {};
  size_ = ::fstat(fd_.get(), &st) == 0 ? static_cast<unsigned long long>(st.st_size) : 0;
}

void FileLog::rotate() {
  fd_.reset();
  if (max_files_ <= 1) {
    ::unlink(path_.c_str());
  } else {
    // file.N-2 -> file.N-1, ..., file -> file.1; the oldest is replaced by the rename.
    char from[4096], to[4096];
    for (unsigned i = max_files_ - 1; i >= 1; --i) {
      std::snprintf(to, sizeof to, "%s.%u", path_.c_str(), i);
      if (i == 1) {
        std::snprintf(from, sizeof from, "%s", path_.c_str());
      } else {
        std::snprintf(from, sizeof from, "%s.%u", path_.c_str(), i - 1);
      }
      ::rename(from, to);  // a missing file (ENOENT) just means fewer generations so far
    }
  }
  try {
    open_file();
  } catch (const Error&) {
    // Keep pumping (and dropping) rather than let a full disk stop the container's output.
  }
}

void FileLog::write(LogStream stream, bool partial, const char* data, std::size_t size) {
  char prefix[kTimestampSize + 16];
  std::size_t n = now_rfc3339_nano(prefix);
  n += static_cast<std::size_t>(std::snprintf(prefix + n, sizeof prefix - n, " %s %c ",
                                              stream_name(stream), partial ? 'P' : 'F'));
  std::size_t record = n + size + 1;
  if (size_ > 0 && size_ + record > max_size_) rotate();
  if (!fd_) {
    try {
      open_file();  // a previous open failed (full disk, removed directory): try again
    } catch (const Error&) {
      return;
    }
  }
  iovec iov[3] = {{prefix, n}, {const_cast<char*>(data), size}, {const_cast<char*>("\n"), 1}};
  ssize_t w;
  do {
    w = ::writev(fd_.get(), iov, 3);
  } while (w < 0 && errno == EINTR);
  if (w > 0) size_ += static_cast<unsigned long long>(w);
}

}  // namespace skiff::agent
