// Generated seccomp programs, kept under the runtime's --root so that a container whose
// profile was seen before skips libseccomp's code generation (~5 ms for Docker's default
// profile, paid again by every health-check exec).
//
// An entry is found by a hash of its key and used only when the key it stores matches in
// full: the profile's JSON, the libseccomp version and API level, and the kernel. Anything
// unreadable is a miss; the entry is then generated again and replaced. A failure to store
// one is not an error: the cache only saves time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "runtime/security/seccomp_filter.h"
#include "runtime/spec/spec.h"

namespace skiff::runtime {

class SeccompCache {
 public:
  static constexpr std::size_t kMaxEntries = 64;

  explicit SeccompCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // The spec's linux.seccomp as a filter ready to load: from the cache, or compiled,
  // prepared and stored; nullopt when the spec has no profile. Profile errors throw as
  // SeccompFilter::compile's do.
  std::optional<security::SeccompFilter> filter_for(const oci::Spec& spec);

  // Whether the last filter_for() came from the cache (for tests).
  bool last_was_hit() const { return last_hit_; }

 private:
  std::filesystem::path entry_path(const std::string& key) const;
  void store(const std::filesystem::path& file, const std::string& key,
             const security::SeccompFilter& filter) const;
  void evict_oldest() const;

  std::filesystem::path dir_;
  bool last_hit_ = false;
};

}  // namespace skiff::runtime
