#include "common/error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace skiff {

namespace {
std::string describe(const std::string& op, const std::string& path, int err) {
  std::string subject = path.empty() ? op : op + " " + path;
  return fmt::format("{}: {} (errno {})", subject, std::strerror(err), err);
}
}  // namespace

SysError::SysError(std::string op, std::string path, int err)
    : Error(describe(op, path, err)), op_(std::move(op)), path_(std::move(path)), errno_(err) {}

void throw_errno(const std::string& op, const std::string& path) {
  throw SysError(op, path, errno);
}

}  // namespace skiff
