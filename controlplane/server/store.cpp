#include "controlplane/server/store.h"

#include <fmt/format.h>

#include "common/error.h"

namespace skiff::cp {
namespace {

constexpr const char* kTables[] = {"clusters", "activations", "instances",
                                   "taskdefs", "tasks",       "services"};

bool known_table(const std::string& t) {
  for (const char* k : kTables) {
    if (t == k) return true;
  }
  return false;
}

// Finalizes a statement on every path out of a function.
struct Stmt {
  sqlite3_stmt* s;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

Store::Store(const std::filesystem::path& db_path) : path_(db_path.string()) {
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error(fmt::format("open database {}: {}", path_, msg));
  }
  exec("PRAGMA journal_mode=WAL");
  // NORMAL in WAL mode survives a process crash (kill -9); only power loss may drop the
  // last transactions.
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA busy_timeout=5000");
  for (const char* t : kTables) {
    exec(fmt::format("CREATE TABLE IF NOT EXISTS {} (id TEXT PRIMARY KEY, cluster TEXT NOT NULL, "
                     "doc TEXT NOT NULL)",
                     t)
             .c_str());
  }
  exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
}

Store::~Store() {
  sqlite3_close(db_);
}

void Store::fail(const std::string& what) {
  throw Error(fmt::format("{} in {}: {}", what, path_, sqlite3_errmsg(db_)));
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(fmt::format("sqlite '{}' in {}: {}", sql, path_, msg));
  }
}

sqlite3_stmt* Store::prepare(const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail("prepare " + sql);
  return s;
}

void Store::put(const std::string& table, const std::string& id, const std::string& cluster,
                const nlohmann::json& doc) {
  if (!known_table(table)) throw Error("store: unknown table " + table);
  Stmt st{
      prepare(fmt::format("INSERT OR REPLACE INTO {} (id, cluster, doc) VALUES (?, ?, ?)", table))};
  const std::string text = doc.dump();
  sqlite3_bind_text(st.s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, cluster.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 3, text.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) fail(fmt::format("write {} {}", table, id));
}

void Store::erase(const std::string& table, const std::string& id) {
  if (!known_table(table)) throw Error("store: unknown table " + table);
  Stmt st{prepare(fmt::format("DELETE FROM {} WHERE id = ?", table))};
  sqlite3_bind_text(st.s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) fail(fmt::format("delete {} {}", table, id));
}

std::vector<nlohmann::json> Store::load(const std::string& table) {
  if (!known_table(table)) throw Error("store: unknown table " + table);
  Stmt st{prepare(fmt::format("SELECT id, doc FROM {}", table))};
  std::vector<nlohmann::json> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    auto doc = nlohmann::json::parse(text ? text : "", nullptr, false);
    if (doc.is_discarded()) {
      const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
      throw Error(fmt::format("{}: row {}.{} is not valid JSON", path_, table, id ? id : "?"));
    }
    out.push_back(std::move(doc));
  }
  if (rc != SQLITE_DONE) fail("read " + table);
  return out;
}

std::uint64_t Store::counter(const std::string& name) {
  Stmt st{prepare("SELECT value FROM meta WHERE name = ?")};
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) == SQLITE_ROW) {
    return static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 0));
  }
  return 0;
}

void Store::set_counter(const std::string& name, std::uint64_t value) {
  Stmt st{prepare("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)")};
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, static_cast<sqlite3_int64>(value));
  if (sqlite3_step(st.s) != SQLITE_DONE) fail("write counter " + name);
}

}  // namespace skiff::cp
