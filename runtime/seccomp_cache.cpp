#include "runtime/seccomp_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <vector>

#include "common/file_io.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace skiff::runtime {

namespace {

// 2: programs carry the ENOSYS stub for syscalls newer than the profile.
constexpr int kFormat = 2;

std::string cache_key(const oci::Spec& spec) {
  utsname u{};
  ::uname(&u);
  return fmt::format("skiff seccomp cache {}\n{}\n{} {}\n{}", kFormat,
                     security::SeccompFilter::generator_identity(), u.machine, u.release,
                     spec.raw.at(nlohmann::json::json_pointer("/linux/seccomp")).dump());
}

// The entry's program when it is whole and made for exactly `key`.
std::optional<security::SeccompFilter> read_entry(const fs::path& file, const std::string& key) {
  try {
    auto entry = nlohmann::json::from_cbor(read_file(file));
    if (entry.at("key").get_ref<const std::string&>() != key) return std::nullopt;
    const auto& program = entry.at("program").get_binary();
    return security::SeccompFilter::from_program(std::string(program.begin(), program.end()),
                                                 entry.at("flags").get<unsigned>());
  } catch (const std::exception&) {
    return std::nullopt;  // missing, truncated, another format or a hash collision: a miss
  }
}

}  // namespace

fs::path SeccompCache::entry_path(const std::string& key) const {
  return dir_ / fmt::format("{:016x}.cbor", std::hash<std::string>{}(key));
}

std::optional<security::SeccompFilter> SeccompCache::filter_for(const oci::Spec& spec) {
  if (!spec.linux_config.seccomp) return std::nullopt;
  std::string key = cache_key(spec);
  fs::path file = entry_path(key);
  if (auto cached = read_entry(file, key)) {
    last_hit_ = true;
    return cached;
  }
  last_hit_ = false;
  auto filter = security::SeccompFilter::compile(*spec.linux_config.seccomp);
  filter.prepare();
  store(file, key, filter);
  return filter;
}

void SeccompCache::store(const fs::path& file, const std::string& key,
                         const security::SeccompFilter& filter) const {
  nlohmann::json entry = {{"key", key},
                          {"flags", filter.load_flags()},
                          {"program", nlohmann::json::binary_t(std::vector<std::uint8_t>(
                                          filter.program().begin(), filter.program().end()))}};
  std::vector<std::uint8_t> bytes = nlohmann::json::to_cbor(entry);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  std::string tmp = (dir_ / ".entry.XXXXXX").string();
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return;  // read-only or full: run uncached
  bool written =
      ::write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return;
  }
  evict_oldest();
}

void SeccompCache::evict_oldest() const {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() == ".cbor") entries.emplace_back(e.last_write_time(ec), e.path());
  }
  if (entries.size() <= kMaxEntries) return;
  std::sort(entries.begin(), entries.end());
  for (std::size_t i = 0; i + kMaxEntries < entries.size(); ++i) fs::remove(entries[i].second, ec);
}

}  // namespace skiff::runtime
