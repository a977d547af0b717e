#include "image/registry/platform.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "common/error.h"

namespace skiff::image {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Platform Platform::parse(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto end = text.find('/', start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  bool empty_part = std::any_of(parts.begin(), parts.end(), [](auto& s) { return s.empty(); });
  if (parts.size() < 2 || parts.size() > 3 || empty_part) {
    throw Error(
        fmt::format("platform \"{}\": expected os/arch[/variant], e.g. linux/arm64/v8", text));
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Platform Platform::host() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  Platform p{"linux", m, ""};
  if (m == "armv7l" || m == "armv7") p = {"linux", "arm", "v7"};
  if (m == "armv6l" || m == "armv6") p = {"linux", "arm", "v6"};
  if (m == "armv5tel" || m == "armv5") p = {"linux", "arm", "v5"};
  return normalize(p);
}

Platform Platform::from_json(const nlohmann::json& j) {
  Platform p;
  if (!j.is_object()) return p;
  auto get = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  p.os = get("os");
  p.architecture = get("architecture");
  p.variant = get("variant");
  return p;
}

std::string Platform::str() const {
  std::string s = (os.empty() ? "?" : os) + "/" + (architecture.empty() ? "?" : architecture);
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform normalize(Platform p) {
  p.os = lower(p.os);
  p.architecture = lower(p.architecture);
  p.variant = lower(p.variant);
  const std::string& a = p.architecture;
  if (a == "x86_64" || a == "x86-64") p.architecture = "amd64";
  if (a == "i386" || a == "i686") p.architecture = "386";
  if (a == "aarch64") p.architecture = "arm64";
  if (a == "armhf") p = {p.os, "arm", "v7"};
  if (a == "armel") p = {p.os, "arm", "v6"};
  if (p.architecture == "arm64" && (p.variant.empty() || p.variant == "8")) p.variant = "v8";
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  if (p.architecture == "arm" && p.variant.size() == 1) p.variant = "v" + p.variant;
  return p;
}

bool platform_matches(const Platform& wanted, const Platform& offered) {
  Platform w = normalize(wanted);
  Platform o = normalize(offered);
  if (w.os != o.os || w.architecture != o.architecture) return false;
  if (wanted.variant.empty() && w.architecture != "arm" && w.architecture != "arm64") return true;
  return w.variant == o.variant;
}

const Descriptor& choose_platform(const Index& index, const Platform& wanted,
                                  std::string_view where) {
  std::vector<std::string> offered;
  for (const Descriptor& d : index.manifests) {
    if (!is_manifest_type(d.media_type)) continue;  // nested indexes, attestations, ...
    Platform p = Platform::from_json(d.platform);
    if (platform_matches(wanted, p)) return d;
    if (!p.os.empty()) offered.push_back(p.str());
  }
  throw Error(fmt::format(
      "{}: no image for platform {}; available: {}", where, wanted.str(),
      offered.empty() ? std::string("none") : fmt::format("{}", fmt::join(offered, ", "))));
}

}  // namespace skiff::image
