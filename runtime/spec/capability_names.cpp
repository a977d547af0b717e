#include <sys/capability.h>

#include <cctype>

#include "runtime/spec/spec.h"

namespace skiff::oci {

std::optional<int> capability_from_name(std::string_view name) {
  // cap_from_name also takes bare numbers and names without the prefix; specs, exec --cap
  // and the features list only ever use "CAP_" names.
  if (name.size() <= 4 || name.substr(0, 4) != "CAP_") return std::nullopt;
  cap_value_t value = 0;
  if (cap_from_name(std::string(name).c_str(), &value) != 0) return std::nullopt;
  return value;
}

const std::vector<std::string>& all_capability_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
      char* raw = cap_to_name(static_cast<cap_value_t>(c));
      if (!raw) continue;
      std::string name = raw;
      cap_free(raw);
      for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back(std::move(name));
    }
    return out;
  }();
  return names;
}

}  // namespace skiff::oci
