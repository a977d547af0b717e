#include "image/snapshots/snapshotter.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include "common/error.h"
#include "image/snapshots/chain_id.h"

namespace skiff::image {

namespace fs = std::filesystem;

std::vector<LayerRef> layer_refs(const Manifest& manifest, const nlohmann::json& config,
                                 std::string_view where) {
  std::vector<Digest> diffs = diff_ids_of(config, where);
  if (diffs.size() != manifest.layers.size()) {
    throw Error(fmt::format("{}: rootfs.diff_ids lists {} layers but the manifest has {}", where,
                            diffs.size(), manifest.layers.size()));
  }
  std::vector<Digest> chains = chain_ids(diffs);
  std::vector<LayerRef> out;
  for (std::size_t i = 0; i < diffs.size(); ++i) {
    out.push_back({manifest.layers[i], diffs[i], chains[i]});
  }
  return out;
}

Snapshotter::Snapshotter(const ContentStore& store) : store_(store) {
  std::error_code ec;
  fs::create_directories(dir(), ec);
  if (ec) throw SysError("create directory", dir().string(), ec.value());
}

bool Snapshotter::has(const Digest& chain_id) const {
  struct stat st {};
  return ::lstat(path(chain_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<LayerRef> Snapshotter::missing(const std::vector<LayerRef>& layers) const {
  std::vector<LayerRef> out;
  for (const LayerRef& l : layers) {
    if (!has(l.chain_id)) out.push_back(l);
  }
  return out;
}

std::vector<fs::path> Snapshotter::paths(const std::vector<LayerRef>& layers) const {
  std::vector<fs::path> out;
  for (const LayerRef& l : layers) {
    if (!has(l.chain_id)) {
      throw Error(fmt::format("layer {} (chain {}) is not unpacked in {}", l.blob.digest.str(),
                              l.chain_id.str(), dir().string()));
    }
    out.push_back(path(l.chain_id));
  }
  return out;
}

std::vector<Digest> Snapshotter::list() const {
  std::vector<Digest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir(), ec)) {
    std::string name = "sha256:" + e.path().filename().string();
    if (Digest::problem(name).empty() && e.is_directory()) out.push_back(Digest::parse(name));
  }
  if (ec) throw SysError("list", dir().string(), ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Digest> Snapshotter::remove_except(const std::set<Digest>& keep) {
  std::vector<Digest> removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir(), ec)) {
    std::string file = e.path().filename().string();
    std::string name = "sha256:" + file;
    bool snapshot = Digest::problem(name).empty();
    bool partial = file.find(".partial-") != std::string::npos;
    if (!snapshot && !partial) continue;  // not ours: leave it for a human
    if (snapshot && keep.count(Digest::parse(name)) != 0) continue;
    std::error_code rm;
    fs::remove_all(e.path(), rm);
    if (rm) throw SysError("remove snapshot", e.path().string(), rm.value());
    if (snapshot) removed.push_back(Digest::parse(name));
  }
  if (ec) throw SysError("list", dir().string(), ec.value());
  return removed;
}

}  // namespace skiff::image
