#include "image_builder.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/file_io.h"
#include "common/mountinfo.h"
#include "image/snapshots/chain_id.h"
#include "tests/image/unpack/tar_builder.h"

namespace skiff::image::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Descriptor put_blob(ContentStore& store, const std::string& media_type, const std::string& data) {
  Digest d = sha256_of(data);
  BlobWriter w = store.begin_write(d, data.size());
  if (!w.already_present()) w.write(data);
  w.commit();
  return Descriptor{media_type, d, data.size(), {}, nullptr};
}

std::string slurp(const fs::path& p) {
  return skiff::read_file(p);
}

}  // namespace

Descriptor add_image(Images& images, const std::string& name, const std::vector<fs::path>& layers,
                     const json& config) {
  ContentStore& store = images.store();
  json diff_ids = json::array();
  json layer_descs = json::array();
  for (const fs::path& l : layers) {
    std::string data = slurp(l);
    bool gz = data.size() > 2 && static_cast<unsigned char>(data[0]) == 0x1f;
    Descriptor d = put_blob(store,
                            gz ? "application/vnd.oci.image.layer.v1.tar+gzip"
                               : "application/vnd.oci.image.layer.v1.tar",
                            data);
    diff_ids.push_back(uncompressed_digest(l).str());
    layer_descs.push_back(d.to_json());
  }
  json cfg = {{"architecture", "amd64"},
              {"os", "linux"},
              {"config", config},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  Descriptor c = put_blob(store, "application/vnd.oci.image.config.v1+json", cfg.dump());
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", c.to_json()},
                   {"layers", layer_descs}};
  Descriptor m = put_blob(store, "application/vnd.oci.image.manifest.v1+json", manifest.dump());
  images.tag(name, m);
  return m;
}

Digest write_docker_archive(const fs::path& out, const std::vector<fs::path>& layers,
                            const std::vector<std::string>& tags, const json& config) {
  json diff_ids = json::array();
  json names = json::array();
  for (const fs::path& l : layers) diff_ids.push_back(uncompressed_digest(l).str());
  json cfg = {{"architecture", "amd64"},
              {"os", "linux"},
              {"config", config},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  std::string cfg_text = cfg.dump();
  Digest id = sha256_of(cfg_text);
  TarBuilder tar(out);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string dir = std::to_string(i) + "layer";
    tar.dir(dir + "/").file(dir + "/layer.tar", slurp(layers[i]));
    names.push_back(dir + "/layer.tar");
  }
  tar.file(id.hex() + ".json", cfg_text);
  json manifest =
      json::array({{{"Config", id.hex() + ".json"}, {"RepoTags", tags}, {"Layers", names}}});
  tar.file("manifest.json", manifest.dump());
  tar.file("repositories", "{}");
  tar.finish();
  return id;
}

std::vector<std::string> tree_listing(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    std::string rel = fs::relative(it->path(), root).string();
    std::ostringstream line;
    line << rel << " mode=" << std::oct << (st.st_mode & 07777) << std::dec << " uid=" << st.st_uid;
    if (S_ISREG(st.st_mode)) {
      line << " file " << st.st_size << " " << sha256_of(slurp(it->path())).hex().substr(0, 16);
    } else if (S_ISLNK(st.st_mode)) {
      line << " -> " << fs::read_symlink(it->path()).string();
    } else if (S_ISDIR(st.st_mode)) {
      line << " dir";
    } else {
      line << " other";
    }
    out.push_back(line.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> mounts_under(const fs::path& dir) {
  std::vector<std::string> out;
  std::string prefix = fs::weakly_canonical(dir).string();
  for (const MountInfo& m : parse_mountinfo_text(read_file("/proc/self/mountinfo"))) {
    if (m.mount_point == prefix || m.mount_point.rfind(prefix + "/", 0) == 0)
      out.push_back(m.mount_point);
  }
  return out;
}

}  // namespace skiff::image::test
