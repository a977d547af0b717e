// Docker's capability arithmetic: a default set, then --cap-add / --cap-drop.
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "image/bundle/bundle.h"
#include "runtime/spec/hardening.h"
#include "runtime/spec/spec.h"

namespace skiff::image {
namespace {

// "net_admin" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays "ALL".
std::string normalize(const std::string& name, const std::string& field) {
  std::string up;
  for (char c : name) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (up == "ALL") return up;
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  if (oci::capability_from_name(up)) return up;
  throw Error(field + ": unknown capability \"" + name + "\"");
}

std::vector<std::string> normalize_all(const std::vector<std::string>& names,
                                       const std::string& field) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back(normalize(names[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (s != "ALL" && !contains(v, s)) v.push_back(s);
}

// "Every capability" for privileged and capAdd ALL, as in podman: the ones in our bounding
// set. The runtime inherits that set, and capset refuses anything outside it (a nested host
// or a systemd unit with CapabilityBoundingSet= would fail every privileged container).
const std::vector<std::string>& every_capability() {
  static const std::vector<std::string> caps = [] {
    std::vector<std::string> out;
    for (const std::string& c : oci::all_capability_names()) {
      const auto bit = oci::capability_from_name(c);
      if (bit && ::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(*bit), 0, 0, 0) == 1) {
        out.push_back(c);
      }
    }
    return out;
  }();
  return caps;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps(oci::hardening::kDefaultCapabilities.begin(),
                                             oci::hardening::kDefaultCapabilities.end());
  return caps;
}

std::vector<std::string> effective_capabilities(const BundleOverrides& o) {
  const std::vector<std::string> add = normalize_all(o.cap_add, "overrides.capAdd");
  const std::vector<std::string> drop = normalize_all(o.cap_drop, "overrides.capDrop");
  std::vector<std::string> caps;
  if (contains(add, "ALL")) {
    // Everything except what is dropped by name (dropping ALL too would be meaningless).
    for (const std::string& c : every_capability()) {
      if (!contains(drop, c)) caps.push_back(c);
    }
  } else if (contains(drop, "ALL")) {
    for (const std::string& c : add) add_unique(caps, c);
  } else {
    for (const std::string& c : o.privileged ? every_capability() : default_capabilities()) {
      if (!contains(drop, c)) caps.push_back(c);
    }
    for (const std::string& c : add) add_unique(caps, c);
  }
  return caps;
}

}  // namespace skiff::image
