#include "image/snapshots/chain_id.h"

#include <fmt/format.h>

#include "common/error.h"

namespace skiff::image {

using nlohmann::json;

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const Digest& d : diff_ids) {
    out.push_back(out.empty() ? d : sha256_of(out.back().str() + " " + d.str()));
  }
  return out;
}

std::vector<Digest> diff_ids_of(const json& config, std::string_view where) {
  if (!config.is_object() || !config.contains("rootfs") || !config["rootfs"].is_object()) {
    throw Error(fmt::format("{}: rootfs: missing", where));
  }
  const json& ids = config["rootfs"].value("diff_ids", json());
  if (!ids.is_array()) throw Error(fmt::format("{}: rootfs.diff_ids: expected an array", where));
  std::vector<Digest> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::string why = ids[i].is_string() ? Digest::problem(ids[i].get<std::string>())
                                         : std::string("expected a string");
    if (!why.empty()) throw Error(fmt::format("{}: rootfs.diff_ids[{}]: {}", where, i, why));
    out.push_back(Digest::parse(ids[i].get<std::string>()));
  }
  return out;
}

}  // namespace skiff::image
