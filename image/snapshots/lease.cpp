#include "image/snapshots/lease.h"

#include <fmt/format.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/atomic_file.h"
#include "common/error.h"
#include "image/refs/state_file.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxLease = 4 << 20;

Digest digest_field(const json& j, const std::string& where, const std::string& field) {
  std::string why =
      j.is_string() ? Digest::problem(j.get<std::string>()) : std::string("expected a string");
  if (!why.empty()) throw Error(fmt::format("{}: {}: {}", where, field, why));
  return Digest::parse(j.get<std::string>());
}

std::vector<Digest> digest_list(const json& doc, const std::string& where, const char* field) {
  std::vector<Digest> out;
  const json& arr = doc.value(field, json::array());
  if (!arr.is_array()) throw Error(fmt::format("{}: {}: expected an array", where, field));
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(digest_field(arr[i], where, fmt::format("{}[{}]", field, i)));
  }
  return out;
}

Lease parse_lease(const std::string& text, const fs::path& file) {
  std::string where = file.string();
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw Error(where + ": not a JSON object");
  std::string id = doc.value("id", "");
  check_bundle_id(id);
  std::string mode = doc.value("mode", "");
  if (mode != "overlay" && mode != "copy") {
    throw Error(fmt::format("{}: mode: expected \"overlay\" or \"copy\", got \"{}\"", where, mode));
  }
  return Lease{
      .id = id,
      .bundle_dir = doc.value("bundle", ""),
      .image = doc.value("image", ""),
      .manifest = digest_field(doc.value("manifest", json()), where, "manifest"),
      .mode = mode == "overlay" ? SnapshotMode::kOverlay : SnapshotMode::kCopy,
      .blobs = digest_list(doc, where, "blobs"),
      .snapshots = digest_list(doc, where, "snapshots"),
      .created = doc.value("created", ""),
  };
}

json to_strings(const std::vector<Digest>& ds) {
  json arr = json::array();
  for (const Digest& d : ds) arr.push_back(d.str());
  return arr;
}

}  // namespace

void check_bundle_id(const std::string& id) {
  auto ok_first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !id.empty() && id.size() <= 128 && ok_first(id[0]);
  for (char c : id) ok = ok && (ok_first(c) || c == '_' || c == '.' || c == '-');
  if (!ok) {
    throw Error(
        fmt::format("bundle id \"{}\": must be 1-128 of [A-Za-z0-9_.-], starting with "
                    "a letter or digit",
                    id));
  }
}

LeaseStore::LeaseStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(dir(), ec);
  if (ec) throw SysError("create directory", dir().string(), ec.value());
}

void LeaseStore::put(const Lease& l) {
  check_bundle_id(l.id);
  json doc = {{"id", l.id},
              {"bundle", l.bundle_dir.string()},
              {"image", l.image},
              {"manifest", l.manifest.str()},
              {"mode", l.mode == SnapshotMode::kOverlay ? "overlay" : "copy"},
              {"blobs", to_strings(l.blobs)},
              {"snapshots", to_strings(l.snapshots)},
              {"created", l.created}};
  write_file_atomic(file(l.id), doc.dump(2) + "\n");
}

std::optional<Lease> LeaseStore::get(const std::string& id) const {
  check_bundle_id(id);
  std::optional<std::string> text = read_state_file(file(id), kMaxLease);
  if (!text) return std::nullopt;
  return parse_lease(*text, file(id));
}

void LeaseStore::remove(const std::string& id) {
  check_bundle_id(id);
  if (::unlink(file(id).c_str()) != 0 && errno != ENOENT)
    throw_errno("remove lease", file(id).string());
}

std::vector<Lease> LeaseStore::list() const {
  std::vector<Lease> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir(), ec)) {
    if (e.path().extension() != ".json") continue;  // skips temp files of a write
    std::optional<std::string> text = read_state_file(e.path(), kMaxLease);
    if (text) out.push_back(parse_lease(*text, e.path()));
  }
  if (ec) throw SysError("list", dir().string(), ec.value());
  std::sort(out.begin(), out.end(), [](const Lease& a, const Lease& b) { return a.id < b.id; });
  return out;
}

}  // namespace skiff::image
