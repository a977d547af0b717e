#include "image/archive/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "common/error.h"
#include "common/json_parse.h"
#include "image/snapshots/chain_id.h"
#include "image/unpack/archive_handle.h"
#include "image/unpack/unpack.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kLayerTar = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr std::size_t kMaxImages = 1000;

// A tar opened for one sequential pass.
class TarPass {
 public:
  explicit TarPass(const fs::path& tar) : tar_(tar), a_(archive_read_new()) {
    if (!a_) throw Error("archive_read_new: out of memory");
    archive_read_support_filter_all(a_.get());
    archive_read_support_format_tar(a_.get());
    if (archive_read_open_filename(a_.get(), tar.c_str(), 1 << 20) != ARCHIVE_OK) {
      fail("open");
    }
  }
  // False at the end of the archive.
  bool next(struct archive_entry** entry) {
    int r = archive_read_next_header(a_.get(), entry);
    if (r == ARCHIVE_EOF) return false;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail("read");
    return true;
  }
  // Calls sink(data, len) for each block of the current entry's data.
  template <typename Sink>
  void data(Sink&& sink) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    int r;
    while ((r = archive_read_data_block(a_.get(), &buf, &len, &off)) == ARCHIVE_OK) {
      sink(static_cast<const char*>(buf), len);
    }
    if (r != ARCHIVE_EOF) fail("read entry data from");
  }
  [[noreturn]] void fail(const char* op) {
    const char* why = archive_error_string(a_.get());
    throw Error(fmt::format("{} archive {}: {}", op, tar_.string(), why ? why : "unknown error"));
  }

 private:
  fs::path tar_;
  ArchiveReader a_;
};

// "./a/b" -> "a/b"; nullopt for names that are absolute or climb out with "..".
std::optional<std::string> clean_name(std::string_view raw) {
  fs::path p = fs::path(std::string(raw)).lexically_normal();
  std::string s = p.generic_string();
  if (s.empty() || s == "." || p.is_absolute()) return std::nullopt;
  if (s == ".." || s.rfind("../", 0) == 0) return std::nullopt;
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

struct EntryInfo {
  std::size_t index = 0;  // position in the tar (the last entry of a name wins)
  Digest digest = sha256_of("");
  std::uint64_t size = 0;
  std::string media_type;  // for layers: by magic bytes
  std::string alias;       // symlink or hardlink target (cleaned), else empty
};

std::string layer_type(std::string_view head) {
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b)
    return std::string(kLayerGzip);
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4))
    return std::string(kLayerZstd);
  return std::string(kLayerTar);
}

struct Scan {
  std::map<std::string, EntryInfo> entries;
  std::optional<std::string> manifest_json;
  bool has_oci_layout = false;
};

// Pass 1: hash every regular file and note links; keep manifest.json's text.
Scan scan(const fs::path& tar, bool hash) {
  Scan s;
  TarPass pass(tar);
  struct archive_entry* e = nullptr;
  for (std::size_t index = 0; pass.next(&e); ++index) {
    std::optional<std::string> name = clean_name(archive_entry_pathname(e));
    if (!name) continue;  // never referenced successfully; checked when a manifest names it
    if (*name == "oci-layout") s.has_oci_layout = true;
    EntryInfo info;
    info.index = index;
    const char* hard = archive_entry_hardlink(e);
    if (hard != nullptr) {
      info.alias = clean_name(hard).value_or("..");
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      fs::path t = fs::path(*name).parent_path() / (target ? target : "");
      info.alias = target && target[0] == '/' ? ".." : clean_name(t.string()).value_or("..");
    } else if (archive_entry_filetype(e) != AE_IFREG) {
      continue;
    }
    if (*name == "manifest.json" && info.alias.empty()) {
      std::string text;
      pass.data([&](const char* p, std::size_t n) {
        if (text.size() + n > kMaxManifestSize) {
          throw Error(fmt::format("{}: manifest.json: larger than {} bytes", tar.string(),
                                  kMaxManifestSize));
        }
        text.append(p, n);
      });
      s.manifest_json = std::move(text);
      info.digest = sha256_of(*s.manifest_json);
      info.size = s.manifest_json->size();
    } else if (hash && info.alias.empty()) {
      Sha256 h;
      std::string head;
      pass.data([&](const char* p, std::size_t n) {
        if (head.size() < 4) head.append(p, std::min<std::size_t>(n, 4 - head.size()));
        h.update(p, n);
        info.size += n;
      });
      info.digest = h.finish();
      info.media_type = layer_type(head);
    }
    s.entries.insert_or_assign(*name, std::move(info));
  }
  return s;
}

// The entry manifest.json's `value` (at `field`) names, following links within the archive.
const EntryInfo& find_entry(const Scan& s, const json& value, const std::string& where,
                            const std::string& field, std::string* resolved) {
  if (!value.is_string()) throw Error(fmt::format("{}: {}: expected a string", where, field));
  std::string raw = value.get<std::string>();
  std::optional<std::string> name = clean_name(raw);
  if (!name) {
    throw Error(fmt::format("{}: {}: \"{}\" points outside the archive", where, field, raw));
  }
  for (int hops = 0; hops < 8; ++hops) {
    auto it = s.entries.find(*name);
    if (it == s.entries.end()) {
      throw Error(fmt::format("{}: {}: \"{}\" is not in the archive", where, field, raw));
    }
    if (it->second.alias.empty()) {
      *resolved = *name;
      return it->second;
    }
    if (it->second.alias == "..") {
      throw Error(
          fmt::format("{}: {}: \"{}\" is a link pointing outside the archive", where, field, raw));
    }
    *name = it->second.alias;
  }
  throw Error(fmt::format("{}: {}: \"{}\": too many links", where, field, raw));
}

struct PlannedImage {
  std::vector<std::string> tags;
  std::string config_name;
  std::vector<std::string> layer_names;
};

}  // namespace

ArchiveFormat detect_archive_format(const fs::path& tar) {
  Scan s = scan(tar, false);
  if (s.manifest_json) return ArchiveFormat::kDockerArchive;
  if (s.has_oci_layout) return ArchiveFormat::kOciArchive;
  throw Error(
      fmt::format("{}: neither a docker-archive (no manifest.json) nor an OCI layout "
                  "(no oci-layout)",
                  tar.string()));
}

std::vector<ArchiveImage> import_docker_archive(ContentStore& store, const fs::path& tar) {
  Scan s = scan(tar, true);
  std::string where = tar.string() + ": manifest.json";
  if (!s.manifest_json) throw Error(tar.string() + ": no manifest.json: not a docker-archive");
  json doc = skiff::parse_json_or_discarded(*s.manifest_json);
  if (doc.is_discarded() || !doc.is_array() || doc.empty()) {
    throw Error(where + ": expected a non-empty JSON array");
  }
  if (doc.size() > kMaxImages) throw Error(where + ": more than 1000 images");

  // Check everything manifest.json promises before writing a byte.
  std::vector<PlannedImage> plan;
  std::map<std::string, const EntryInfo*> needed;  // entry name -> info
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& img = doc[i];
    std::string at = fmt::format("[{}]", i);
    if (!img.is_object()) throw Error(fmt::format("{}: {}: expected an object", where, at));
    PlannedImage p;
    const EntryInfo& cfg =
        find_entry(s, img.value("Config", json()), where, at + ".Config", &p.config_name);
    if (cfg.size > kMaxManifestSize) {
      throw Error(fmt::format("{}: {}.Config: {} bytes, more than {} allowed", where, at, cfg.size,
                              kMaxManifestSize));
    }
    needed[p.config_name] = &cfg;
    const json& tags = img.value("RepoTags", json::array());
    if (!tags.is_array() && !tags.is_null())
      throw Error(fmt::format("{}: {}.RepoTags: expected an array", where, at));
    if (tags.is_array()) {
      for (std::size_t t = 0; t < tags.size(); ++t) {
        if (!tags[t].is_string())
          throw Error(fmt::format("{}: {}.RepoTags[{}]: expected a string", where, at, t));
        p.tags.push_back(tags[t].get<std::string>());
      }
    }
    const json& layers = img.value("Layers", json());
    if (!layers.is_array()) throw Error(fmt::format("{}: {}.Layers: expected an array", where, at));
    for (std::size_t l = 0; l < layers.size(); ++l) {
      std::string name;
      const EntryInfo& info =
          find_entry(s, layers[l], where, fmt::format("{}.Layers[{}]", at, l), &name);
      needed[name] = &info;
      p.layer_names.push_back(name);
    }
    plan.push_back(std::move(p));
  }

  // Pass 2: stream the needed entries into staged (verified, unpublished) blobs.
  StoreLock shared = store.lock(StoreLock::Mode::kShared);
  std::map<std::string, std::string> small;  // config texts by entry name
  std::set<std::string> config_names;
  for (const PlannedImage& p : plan) config_names.insert(p.config_name);
  std::vector<BlobWriter> staged;
  {
    std::map<std::size_t, std::string> by_index;
    for (const auto& [name, info] : needed) by_index[info->index] = name;
    TarPass pass(tar);
    struct archive_entry* e = nullptr;
    for (std::size_t index = 0; pass.next(&e); ++index) {
      auto it = by_index.find(index);
      if (it == by_index.end()) continue;
      const EntryInfo& info = *needed.at(it->second);
      bool is_config = config_names.count(it->second) != 0;
      BlobWriter w = store.begin_write(info.digest, info.size);
      std::string text;
      pass.data([&](const char* p, std::size_t n) {
        if (is_config) text.append(p, n);
        if (!w.already_present()) w.write(std::string_view(p, n));
      });
      try {
        w.verify();
      } catch (const SysError&) {
        throw;
      } catch (const Error& err) {
        // The archive changed between the two passes.
        throw Error(fmt::format("{}: entry {}: {}", tar.string(), it->second, err.what()));
      }
      if (is_config) small[it->second] = std::move(text);
      staged.push_back(std::move(w));
    }
  }

  std::vector<ArchiveImage> out;
  std::vector<BlobWriter> manifests;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlannedImage& p = plan[i];
    std::string at = fmt::format("{}: [{}]", where, i);
    const EntryInfo& cfg = *needed.at(p.config_name);
    json config = skiff::parse_json_or_discarded(small.at(p.config_name));
    if (config.is_discarded() || !config.is_object())
      throw Error(fmt::format("{}.Config: {} is not a JSON object", at, p.config_name));
    std::vector<Digest> diffs = diff_ids_of(config, at + ".Config " + p.config_name);
    if (diffs.size() != p.layer_names.size()) {
      throw Error(fmt::format("{}: Layers lists {} layers but the config's rootfs.diff_ids has {}",
                              at, p.layer_names.size(), diffs.size()));
    }
    json layers = json::array();
    for (std::size_t l = 0; l < p.layer_names.size(); ++l) {
      const EntryInfo& info = *needed.at(p.layer_names[l]);
      // A plain tar's digest is its DiffID; compressed ones are checked when unpacked.
      if (info.media_type == kLayerTar && info.digest != diffs[l]) {
        throw Error(fmt::format("{}.Layers[{}]: {} is {}, but rootfs.diff_ids[{}] says {}", at, l,
                                p.layer_names[l], info.digest.str(), l, diffs[l].str()));
      }
      layers.push_back(
          {{"mediaType", info.media_type}, {"digest", info.digest.str()}, {"size", info.size}});
    }
    json manifest = {
        {"schemaVersion", 2},
        {"mediaType", media_type::kOciManifest},
        {"config", {{"mediaType", kOciConfig}, {"digest", cfg.digest.str()}, {"size", cfg.size}}},
        {"layers", layers}};
    std::string body = manifest.dump();
    Digest md = sha256_of(body);
    BlobWriter w = store.begin_write(md, body.size());
    if (!w.already_present()) w.write(body);
    w.verify();
    manifests.push_back(std::move(w));
    Descriptor d{std::string(media_type::kOciManifest), md, body.size(), {}, nullptr};
    out.push_back({p.tags, d});
  }
  // Children before parents: a visible manifest always has its config and layers.
  for (BlobWriter& w : staged) w.commit();
  for (BlobWriter& w : manifests) w.commit();
  return out;
}

std::vector<LayoutRef> import_oci_archive(ContentStore& store, const fs::path& tar,
                                          const fs::path& scratch_parent) {
  std::string tmpl = (scratch_parent / "import-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw_errno("mkdtemp", tmpl);
  fs::path scratch(buf.data());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};
  UnpackOptions opts;
  opts.xattrs = false;
  unpack_layer(tar, scratch / "layout", opts);
  return import_oci_layout(store, scratch / "layout");
}

}  // namespace skiff::image
