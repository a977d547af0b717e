// Images::import: docker-archive and OCI archives (libarchive) and OCI layout directories.
// Kept apart from images.cpp so a program that never imports does not link libarchive.
#include <cctype>
#include <system_error>

#include "common/error.h"
#include "image/archive/docker_archive.h"
#include "image/service/images.h"
#include "image/store/oci_layout.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// "localhost/<name>:tag" for a layout that only gave a tag: the file name, made valid.
std::string local_name(const fs::path& source, const std::string& tag) {
  std::string base = source.filename().string();
  if (base.empty()) base = source.parent_path().filename().string();
  for (const char* ext : {".tar.gz", ".tgz", ".tar"}) {
    std::string e(ext);
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      base.resize(base.size() - e.size());
    }
  }
  std::string clean;
  for (char c : base) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    clean +=
        (std::isalnum(static_cast<unsigned char>(l)) || l == '.' || l == '-' || l == '_') ? l : '-';
  }
  while (!clean.empty() && !std::isalnum(static_cast<unsigned char>(clean.front())))
    clean.erase(0, 1);
  while (!clean.empty() && !std::isalnum(static_cast<unsigned char>(clean.back())))
    clean.pop_back();
  if (clean.empty()) clean = "image";
  return normalize_image_name("localhost/" + clean + ":" + tag);
}

// A layout's ref.name: a full reference, or (as skopeo and umoci write it) just a tag.
std::string layout_name(const fs::path& source, const std::string& ref_name) {
  if (ref_name.find_first_of("/:@") == std::string::npos) return local_name(source, ref_name);
  return normalize_image_name(ref_name);
}

}  // namespace

std::vector<ImageRecord> Images::import(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw SysError("import", path.string(), ec ? ec.value() : ENOENT);
  }
  // Shared until the names are recorded: prune must not collect the new blobs first.
  StoreLock shared = store_.lock(StoreLock::Mode::kShared);
  std::vector<std::pair<std::string, Descriptor>> named;
  try {
    if (fs::is_directory(status)) {
      for (const LayoutRef& r : import_oci_layout(store_, path)) {
        named.emplace_back(r.name.empty() ? r.descriptor.digest.str() : layout_name(path, r.name),
                           r.descriptor);
      }
    } else if (detect_archive_format(path) == ArchiveFormat::kOciArchive) {
      for (const LayoutRef& r : import_oci_archive(store_, path, store_.root())) {
        named.emplace_back(r.name.empty() ? r.descriptor.digest.str() : layout_name(path, r.name),
                           r.descriptor);
      }
    } else {
      for (const ArchiveImage& img : import_docker_archive(store_, path)) {
        if (img.repo_tags.empty()) named.emplace_back(img.manifest.digest.str(), img.manifest);
        for (const std::string& t : img.repo_tags) {
          named.emplace_back(normalize_image_name(t), img.manifest);
        }
      }
    }
  } catch (const SysError& e) {
    // Keep errno (ENOSPC) for callers, and say which import it was.
    throw SysError("import " + path.string() + ": " + e.op(), e.path(), e.code());
  }
  std::vector<ImageRecord> out;
  for (const auto& [name, desc] : named) out.push_back(tag(name, desc));
  return out;
}

}  // namespace skiff::image
