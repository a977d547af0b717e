// Errors that say what failed, on which path, and why.
//
// Convention (docs/architecture.md): library code throws skiff::Error (or SysError for a
// failed syscall) and never exits; the layer that owns resources cleans up with RAII and
// the CLI prints what() once. Messages read "<op> <path>: <strerror> (errno N)".
#pragma once

#include <stdexcept>
#include <string>

namespace skiff {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failed system call: keeps errno so callers can branch on it (EBUSY, ENOENT, ...).
class SysError : public Error {
 public:
  SysError(std::string op, std::string path, int err);

  int code() const noexcept { return errno_; }
  const std::string& op() const noexcept { return op_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string op_;
  std::string path_;
  int errno_;
};

// Throws SysError built from the current errno.
[[noreturn]] void throw_errno(const std::string& op, const std::string& path);

}  // namespace skiff
