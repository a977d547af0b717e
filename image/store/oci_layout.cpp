#include "image/store/oci_layout.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <system_error>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_parse.h"
#include "common/unique_fd.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::string_view kLayoutVersion = "1.0.0";

UniqueFd open_read(const fs::path& p) {
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", p.string());
  return fd;
}

// Reads up to `limit` bytes; returns false in `complete` if the file has more.
std::string read_up_to(int fd, const fs::path& p, std::size_t limit, bool& complete) {
  std::string data;
  std::string buf(std::min(kChunk, limit + 1), '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", p.string());
    }
    if (n == 0) break;
    data.append(buf.data(), static_cast<std::size_t>(n));
    if (data.size() > limit) {
      complete = false;
      return data;
    }
  }
  complete = true;
  return data;
}

std::string read_document_file(const fs::path& p) {
  UniqueFd fd = open_read(p);
  bool complete = false;
  std::string data = read_up_to(fd.get(), p, kMaxManifestSize, complete);
  if (!complete) {
    throw Error(fmt::format("{}: larger than the {} bytes allowed", p.string(), kMaxManifestSize));
  }
  return data;
}

void check_layout_marker(const fs::path& dir) {
  fs::path marker = dir / "oci-layout";
  if (!fs::exists(marker)) {
    throw Error(
        fmt::format("{}: missing: {} is not an OCI image layout", marker.string(), dir.string()));
  }
  json doc = skiff::parse_json_or_discarded(read_document_file(marker));
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(fmt::format("{}: not a JSON object", marker.string()));
  }
  auto it = doc.find("imageLayoutVersion");
  if (it == doc.end() || !it->is_string() || it->get<std::string>() != kLayoutVersion) {
    throw Error(
        fmt::format("{}: imageLayoutVersion: must be \"{}\"", marker.string(), kLayoutVersion));
  }
}

void check_document_size(const Descriptor& d, std::string_view where, const std::string& path) {
  if (d.size > kMaxManifestSize) {
    throw Error(
        fmt::format("{}: {}: {} declares {} bytes; manifests and indexes are limited "
                    "to {} bytes",
                    where, path, d.digest.str(), d.size, kMaxManifestSize));
  }
}

[[noreturn]] void unsupported(const Descriptor& d, std::string_view where,
                              const std::string& path) {
  if (is_schema1_type(d.media_type)) {
    throw Error(
        fmt::format("{}: {}: {} is a Docker schema1 manifest, which is not supported "
                    "(deprecated format); re-push the image with a current tool",
                    where, path, d.digest.str()));
  }
  throw Error(
      fmt::format("{}: {}.mediaType: unsupported media type \"{}\"", where, path, d.media_type));
}

// Walks one layout's closure, staging verified blobs children-first so that publishing
// them in order never makes a manifest visible before its config and layers.
class Importer {
 public:
  Importer(ContentStore& store, fs::path dir) : store_(store), dir_(std::move(dir)) {}

  void visit(const Descriptor& d, std::string_view where, const std::string& path) {
    bool index = is_index_type(d.media_type);
    if (!index && !is_manifest_type(d.media_type)) unsupported(d, where, path);
    if (!seen_.insert(d.digest).second) return;
    check_document_size(d, where, path);
    std::string self = fmt::format("{} {}", index ? "index" : "manifest", d.digest.str());

    std::optional<BlobWriter> writer;
    std::string body;
    if (store_.has(d.digest)) {
      body = store_.read_small(d.digest, kMaxManifestSize);
    } else {
      fs::path file = blob_file(d);
      body = read_document_file(file);
      writer.emplace(store_.begin_write(d.digest, d.size));
      try {
        writer->write(body);
        writer->verify();
      } catch (const Error& e) {
        throw Error(fmt::format("{}: {}", file.string(), e.what()));
      }
    }
    if (index) {
      Index idx = parse_index(body, self, d.media_type);
      for (std::size_t i = 0; i < idx.manifests.size(); ++i) {
        visit(idx.manifests[i], self, fmt::format("manifests[{}]", i));
      }
    } else {
      Manifest m = parse_manifest(body, self, d.media_type);
      copy_blob(m.config);
      for (const Descriptor& layer : m.layers) copy_blob(layer);
    }
    if (writer) staged_.push_back(std::move(*writer));
  }

  void publish() {
    for (BlobWriter& w : staged_) w.commit();
  }

 private:
  fs::path blob_file(const Descriptor& d) const {
    return dir_ / "blobs" / "sha256" / d.digest.hex();
  }

  void copy_blob(const Descriptor& d) {
    if (!seen_.insert(d.digest).second) return;
    BlobWriter writer = store_.begin_write(d.digest, d.size);
    if (writer.already_present()) return;
    fs::path file = blob_file(d);
    try {
      UniqueFd fd = open_read(file);
      std::string buf(kChunk, '\0');
      while (true) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
          if (errno == EINTR) continue;
          throw_errno("read", file.string());
        }
        if (n == 0) break;
        writer.write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      }
      writer.verify();
    } catch (const SysError&) {
      throw;  // already names the file
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", file.string(), e.what()));
    }
    staged_.push_back(std::move(writer));
  }

  ContentStore& store_;
  fs::path dir_;
  std::set<Digest> seen_;
  std::vector<BlobWriter> staged_;
};

// Copies a blob from the store into a layout, replacing whatever file was there.
void export_blob(const ContentStore& store, const Digest& d, const fs::path& blobs) {
  fs::path dst = blobs / d.hex();
  std::error_code ec;
  fs::remove(dst, ec);
  if (!fs::copy_file(store.path(d), dst, ec) || ec) {
    throw SysError(fmt::format("copy {} to", d.str()), dst.string(), ec.value());
  }
}

void export_closure(const ContentStore& store, const Descriptor& d, const fs::path& blobs,
                    std::set<Digest>& done) {
  if (!done.insert(d.digest).second) return;
  std::string self = d.digest.str();
  if (is_index_type(d.media_type)) {
    Index idx =
        parse_index(store.read_small(d.digest, kMaxManifestSize), "index " + self, d.media_type);
    for (const Descriptor& child : idx.manifests) export_closure(store, child, blobs, done);
  } else if (is_manifest_type(d.media_type)) {
    Manifest m = parse_manifest(store.read_small(d.digest, kMaxManifestSize), "manifest " + self,
                                d.media_type);
    if (done.insert(m.config.digest).second) export_blob(store, m.config.digest, blobs);
    for (const Descriptor& layer : m.layers) {
      if (done.insert(layer.digest).second) export_blob(store, layer.digest, blobs);
    }
  } else {
    unsupported(d, "export", "descriptor");
  }
  export_blob(store, d.digest, blobs);
}

}  // namespace

std::vector<LayoutRef> import_oci_layout(ContentStore& store, const fs::path& dir) {
  check_layout_marker(dir);
  fs::path index_file = dir / "index.json";
  std::string where = index_file.string();
  Index top = parse_index(read_document_file(index_file), where);

  // Shared for the whole import: gc must not drop blobs published before the caller
  // has recorded the references that keep them.
  StoreLock shared = store.lock(StoreLock::Mode::kShared);
  Importer importer(store, dir);
  std::vector<LayoutRef> refs;
  for (std::size_t i = 0; i < top.manifests.size(); ++i) {
    const Descriptor& d = top.manifests[i];
    importer.visit(d, where, fmt::format("manifests[{}]", i));
    auto name = d.annotations.find(std::string(kRefNameAnnotation));
    refs.push_back({name == d.annotations.end() ? std::string() : name->second, d});
  }
  importer.publish();
  return refs;
}

void export_oci_layout(const ContentStore& store, const Descriptor& descriptor,
                       std::string_view name, const fs::path& dir) {
  fs::path blobs = dir / "blobs" / "sha256";
  std::error_code ec;
  fs::create_directories(blobs, ec);
  if (ec) throw SysError("create directory", blobs.string(), ec.value());

  std::set<Digest> done;
  export_closure(store, descriptor, blobs, done);

  Descriptor entry = descriptor;
  if (!name.empty()) entry.annotations[std::string(kRefNameAnnotation)] = std::string(name);
  json index = {{"schemaVersion", 2},
                {"mediaType", media_type::kOciIndex},
                {"manifests", json::array({entry.to_json()})}};
  write_file_atomic(dir / "oci-layout", json{{"imageLayoutVersion", kLayoutVersion}}.dump() + "\n");
  // index.json last: a layout interrupted halfway has no index and is plainly incomplete.
  write_file_atomic(dir / "index.json", index.dump(2) + "\n");
}

}  // namespace skiff::image
