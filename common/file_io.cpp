#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <sstream>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff {

std::string read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_file(const std::filesystem::path& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("write '" + std::string(value) + "' to", path);
  if (static_cast<size_t>(n) != value.size()) throw SysError("short write to", path, EIO);
}

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

namespace {
std::uint64_t parse_u64(std::string_view text, const std::filesystem::path& path) {
  if (text == "max") return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw Error("parse " + path.string() + ": expected an unsigned integer, got '" +
                std::string(text) + "'");
  }
  return v;
}
}  // namespace

std::uint64_t read_u64(const std::filesystem::path& path) {
  return parse_u64(trim(read_file(path)), path);
}

std::map<std::string, std::uint64_t> read_flat_keyed(const std::filesystem::path& path) {
  std::map<std::string, std::uint64_t> out;
  std::istringstream in(read_file(path));
  std::string key, value;
  while (in >> key >> value) out[key] = parse_u64(value, path);
  return out;
}

}  // namespace skiff
