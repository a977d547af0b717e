// Images: names, resolution, export, list/inspect/remove.
#include "image/service/images.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <system_error>

#include "common/error.h"
#include "common/json_parse.h"
#include "image/registry/reference.h"
#include "image/service/platform.h"
#include "image/snapshots/snapshotter.h"
#include "image/store/oci_layout.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

std::string normalize_image_name(std::string_view text) {
  return ImageRef::parse(text).str();
}

namespace {

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c)))
      return false;
  }
  return !s.empty();
}

SnapshotMode mode_from_env_or_probe(const fs::path& root) {
  if (const char* env = std::getenv("SKIFF_SNAPSHOTTER")) {
    std::string v = env;
    if (v == "copy") return SnapshotMode::kCopy;
    if (v == "overlay") return SnapshotMode::kOverlay;
    if (!v.empty()) {
      throw Error(fmt::format("SKIFF_SNAPSHOTTER=\"{}\": expected \"overlay\" or \"copy\"", v));
    }
  }
  return overlay_usable(root) ? SnapshotMode::kOverlay : SnapshotMode::kCopy;
}

}  // namespace

Images::Images(fs::path root, ImagesOptions opts, std::shared_ptr<LayerUnpacker> unpacker)
    : store_(std::move(root)),
      opts_(std::move(opts)),
      mode_(opts_.mode),
      refs_(store_.root()),
      leases_(store_.root()),
      unpacker_(std::move(unpacker)) {
  if (!unpacker_) throw Error("image store " + store_.root().string() + ": no layer unpacker");
}

SnapshotMode Images::mode() const {
  if (!mode_) mode_ = mode_from_env_or_probe(store_.root());
  return *mode_;
}

Descriptor Images::choose_manifest(const Descriptor& target) const {
  return skiff::image::choose_manifest(store_, target, opts_.platform);
}

ImageRecord Images::tag(std::string_view name, const Descriptor& target) {
  std::string n(name);
  // Digest names are how untagged images are kept; anything else is a reference.
  if (!Digest::problem(n).empty()) n = normalize_image_name(name);
  ImageRecord r{n, target, choose_manifest(target).digest, now_rfc3339()};
  refs_.put(r);
  return r;
}

void Images::export_layout(std::string_view ref, const fs::path& dir) const {
  ResolvedImage img = resolve(ref);
  std::string name = img.name;
  if (!Digest::problem(name).empty()) {
    // Write the tag alone, as skopeo and umoci do for a layout's ref.name.
    ImageRef n = ImageRef::parse(name);
    name = n.digest ? std::string() : n.tag;
  } else {
    name.clear();
  }
  export_oci_layout(store_, img.target, name, dir);
}

std::string Images::recorded_name(std::string_view ref) const {
  std::string r(ref);
  std::vector<ImageRecord> all = refs_.list();
  for (const ImageRecord& rec : all) {
    if (rec.name == r) return rec.name;
  }
  std::string norm;
  try {
    norm = normalize_image_name(ref);
  } catch (const Error&) {
    // Not a name; maybe a digest prefix.
  }
  for (const ImageRecord& rec : all) {
    if (!norm.empty() && rec.name == norm) return rec.name;
  }
  std::string hex = r.rfind("sha256:", 0) == 0 ? r.substr(7) : r;
  if (hex.size() >= 4 && is_hex(hex)) {
    std::vector<std::string> hits;
    for (const ImageRecord& rec : all) {
      bool hit =
          rec.manifest.hex().rfind(hex, 0) == 0 || rec.target.digest.hex().rfind(hex, 0) == 0;
      if (!hit && store_.has(rec.manifest)) {
        Manifest m = parse_manifest(store_.read_small(rec.manifest, kMaxManifestSize),
                                    "manifest " + rec.manifest.str());
        hit = m.config.digest.hex().rfind(hex, 0) == 0;
      }
      if (hit) hits.push_back(rec.name);
    }
    if (hits.size() == 1) return hits.front();
    if (hits.size() > 1) {
      // Several names for one image are fine; several images are ambiguous.
      std::set<Digest> images;
      for (const ImageRecord& rec : all) {
        for (const std::string& h : hits)
          if (rec.name == h) images.insert(rec.manifest);
      }
      if (images.size() == 1) return hits.front();
      throw Error(fmt::format("image \"{}\": ambiguous, matches {} images", r, images.size()));
    }
  }
  throw Error(fmt::format("image \"{}\": not found in {}", r, store_.root().string()));
}

ResolvedImage Images::resolve(std::string_view ref) const {
  std::string name = recorded_name(ref);
  std::optional<ImageRecord> rec = refs_.get(name);
  if (!rec) throw Error(fmt::format("image \"{}\": not found in {}", name, store_.root().string()));
  Descriptor desc =
      rec->manifest == rec->target.digest ? rec->target : choose_manifest(rec->target);
  std::string where = fmt::format("image \"{}\": manifest {}", name, desc.digest.str());
  Manifest manifest =
      parse_manifest(store_.read_small(desc.digest, kMaxManifestSize), where, desc.media_type);
  json config =
      skiff::parse_json_or_discarded(store_.read_small(manifest.config.digest, kMaxManifestSize));
  if (config.is_discarded() || !config.is_object()) {
    throw Error(fmt::format("image \"{}\": config {}: not a JSON object", name,
                            manifest.config.digest.str()));
  }
  return ResolvedImage{name, rec->target, desc, std::move(manifest), std::move(config)};
}

std::vector<ImageSummary> Images::list() const {
  std::map<Digest, std::size_t> users;
  for (const Lease& l : leases_.list()) ++users[l.manifest];
  std::vector<ImageSummary> out;
  for (const ImageRecord& rec : refs_.list()) {
    ImageSummary s{rec.name, rec.manifest, rec.manifest, 0, rec.created, 0};
    try {
      ResolvedImage img = resolve(rec.name);
      s.manifest = img.manifest_desc.digest;
      s.config = img.manifest.config.digest;
      s.size = img.manifest.config.size;
      for (const Descriptor& l : img.manifest.layers) s.size += l.size;
      if (img.config.contains("created") && img.config["created"].is_string())
        s.created = img.config["created"].get<std::string>();
    } catch (const Error&) {
      // A damaged entry is still listed (inspect shows why), so it can be removed.
    }
    s.containers = users[s.manifest];
    out.push_back(std::move(s));
  }
  return out;
}

json Images::inspect(std::string_view ref) const {
  ResolvedImage img = resolve(ref);
  Snapshotter snaps(store_);
  std::vector<LayerRef> layers =
      layer_refs(img.manifest, img.config, "config " + img.manifest.config.digest.str());
  json names = json::array();
  for (const ImageRecord& rec : refs_.list()) {
    if (rec.manifest == img.manifest_desc.digest) names.push_back(rec.name);
  }
  json jl = json::array();
  std::uint64_t size = img.manifest.config.size;
  for (const LayerRef& l : layers) {
    size += l.blob.size;
    jl.push_back({{"digest", l.blob.digest.str()},
                  {"mediaType", l.blob.media_type},
                  {"size", l.blob.size},
                  {"diffId", l.diff_id.str()},
                  {"chainId", l.chain_id.str()},
                  {"unpacked", snaps.has(l.chain_id)}});
  }
  json users = json::array();
  for (const Lease& l : leases_.list()) {
    if (l.manifest == img.manifest_desc.digest)
      users.push_back({{"id", l.id}, {"bundle", l.bundle_dir.string()}});
  }
  return {{"name", img.name},
          {"names", names},
          {"target", img.target.to_json()},
          {"manifest", img.manifest_desc.digest.str()},
          {"id", img.manifest.config.digest.str()},
          {"size", size},
          {"config", img.config},
          {"layers", jl},
          {"bundles", users}};
}

void Images::remove(std::string_view ref, bool force) {
  std::string name = recorded_name(ref);
  std::optional<ImageRecord> rec = refs_.get(name);
  if (!rec) return;
  if (!force) {
    for (const Lease& l : leases_.list()) {
      if (l.manifest == rec->manifest) {
        throw Error(
            fmt::format("image \"{}\": in use by bundle {} ({}); remove the container "
                        "first, or force to drop only the name",
                        name, l.id, l.bundle_dir.string()));
      }
    }
  }
  refs_.remove(name);
}

std::vector<Lease> Images::bundles() const {
  return leases_.list();
}

}  // namespace skiff::image
