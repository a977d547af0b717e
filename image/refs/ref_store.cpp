#include "image/refs/ref_store.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <map>

#include "common/atomic_file.h"
#include "common/error.h"
#include "image/refs/state_file.h"

namespace skiff::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxRefsFile = 64 << 20;

using Records = std::map<std::string, ImageRecord>;

Records load(const fs::path& file) {
  Records out;
  std::optional<std::string> text = read_state_file(file, kMaxRefsFile);
  if (!text) return out;
  json doc = json::parse(*text, nullptr, false);
  std::string where = file.string();
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("images") ||
      !doc["images"].is_object()) {
    throw Error(
        fmt::format("{}: not a Skiff image index (expected {{\"images\": {{...}}}})", where));
  }
  for (const auto& [name, entry] : doc["images"].items()) {
    std::string path = fmt::format("images[\"{}\"]", name);
    if (!entry.is_object() || !entry.contains("target") || !entry.contains("manifest") ||
        !entry["manifest"].is_string()) {
      throw Error(fmt::format("{}: {}: expected {{target, manifest, created}}", where, path));
    }
    std::string why = Digest::problem(entry["manifest"].get<std::string>());
    if (!why.empty()) throw Error(fmt::format("{}: {}.manifest: {}", where, path, why));
    ImageRecord r{name, parse_descriptor(entry["target"], where, path + ".target"),
                  Digest::parse(entry["manifest"].get<std::string>()), entry.value("created", "")};
    out.emplace(name, std::move(r));
  }
  return out;
}

void save(const fs::path& file, const Records& records) {
  json images = json::object();
  for (const auto& [name, r] : records) {
    images[name] = {
        {"target", r.target.to_json()}, {"manifest", r.manifest.str()}, {"created", r.created}};
  }
  write_file_atomic(file, json{{"version", 1}, {"images", images}}.dump(2) + "\n");
}

}  // namespace

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RefStore::RefStore(fs::path root) : root_(std::move(root)) {}

std::vector<ImageRecord> RefStore::list() const {
  std::vector<ImageRecord> out;
  for (auto& [name, r] : load(file())) out.push_back(std::move(r));
  return out;
}

std::optional<ImageRecord> RefStore::get(const std::string& name) const {
  Records all = load(file());
  auto it = all.find(name);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

void RefStore::put(const ImageRecord& record) {
  FileLock lock(root_ / "refs.lock");
  Records all = load(file());
  all.insert_or_assign(record.name, record);
  save(file(), all);
}

bool RefStore::remove(const std::string& name) {
  FileLock lock(root_ / "refs.lock");
  Records all = load(file());
  if (all.erase(name) == 0) return false;
  save(file(), all);
  return true;
}

}  // namespace skiff::image
