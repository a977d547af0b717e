// SQLite (WAL) persistence: one table per record kind, one JSON document per row.
//
// The control plane is the only writer and keeps every record in memory; the store is
// write-through, so a kill -9 loses nothing that an API call or an Ack already confirmed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::cp {

class Store {
 public:
  // Tables: clusters, activations, instances, taskdefs, tasks, services, meta.
  explicit Store(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void put(const std::string& table, const std::string& id, const std::string& cluster,
           const nlohmann::json& doc);
  void erase(const std::string& table, const std::string& id);
  std::vector<nlohmann::json> load(const std::string& table);

  std::uint64_t counter(const std::string& name);  // meta value, 0 if unset
  void set_counter(const std::string& name, std::uint64_t value);

 private:
  void exec(const char* sql);
  sqlite3_stmt* prepare(const std::string& sql);
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace skiff::cp
