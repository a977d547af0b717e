#include "cgroups/oci_resources.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace skiff::cgroups {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& field, const std::string& why) {
  throw Error(field + ": " + why);
}

const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

const json& object_at(const json& j, const std::string& field) {
  if (!j.is_object()) fail(field, std::string("expected an object, got ") + j.type_name());
  return j;
}

std::int64_t int_at(const json& j, const std::string& field) {
  if (!j.is_number_integer()) fail(field, std::string("expected an integer, got ") + j.type_name());
  return j.get<std::int64_t>();
}

std::uint64_t uint_at(const json& j, const std::string& field, std::uint64_t lo, std::uint64_t hi) {
  std::int64_t v = int_at(j, field);
  if (v < 0 || static_cast<std::uint64_t>(v) < lo || static_cast<std::uint64_t>(v) > hi) {
    fail(field, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                    std::to_string(v));
  }
  return static_cast<std::uint64_t>(v);
}

std::string string_at(const json& j, const std::string& field) {
  if (!j.is_string()) fail(field, std::string("expected a string, got ") + j.type_name());
  return j.get<std::string>();
}

void parse_memory(const json& mem, const std::string& f, Resources& r) {
  object_at(mem, f);
  if (auto* v = member(mem, "limit")) r.memory_limit = int_at(*v, f + ".limit");
  if (auto* v = member(mem, "reservation")) r.memory_reservation = int_at(*v, f + ".reservation");
  if (auto* v = member(mem, "swap")) r.memory_swap = int_at(*v, f + ".swap");
  if (auto* v = member(mem, "swappiness")) {
    r.memory_swappiness = uint_at(*v, f + ".swappiness", 0, 100);
  }
  if (auto* v = member(mem, "disableOOMKiller")) {
    if (!v->is_boolean()) fail(f + ".disableOOMKiller", "expected a boolean");
    r.disable_oom_killer = v->get<bool>();
  }
  for (const char* k : {"kernel", "kernelTCP"}) {
    if (member(mem, k)) fail(f + "." + k, "kernel memory limits are not supported");
  }
  if (r.memory_swap && r.memory_limit && *r.memory_swap != kUnlimited &&
      *r.memory_limit != kUnlimited && *r.memory_swap < *r.memory_limit) {
    fail(f + ".swap", "memory+swap (" + std::to_string(*r.memory_swap) +
                          ") must not be below memory.limit (" + std::to_string(*r.memory_limit) +
                          ")");
  }
}

void parse_cpu(const json& cpu, const std::string& f, Resources& r) {
  object_at(cpu, f);
  if (auto* v = member(cpu, "shares")) r.cpu_shares = uint_at(*v, f + ".shares", 0, 262144);
  if (r.cpu_shares && *r.cpu_shares == 0) r.cpu_shares.reset();  // 0 means "unset" in runc
  if (auto* v = member(cpu, "quota")) r.cpu_quota_us = int_at(*v, f + ".quota");
  if (auto* v = member(cpu, "period")) r.cpu_period_us = uint_at(*v, f + ".period", 0, 1000000);
  if (r.cpu_period_us && *r.cpu_period_us == 0) r.cpu_period_us.reset();
  if (r.cpu_quota_us && *r.cpu_quota_us == 0) r.cpu_quota_us.reset();
  if (r.cpu_quota_us && *r.cpu_quota_us > 0 && *r.cpu_quota_us < 1000) {
    fail(f + ".quota",
         "must be at least 1000 (microseconds) or -1, got " + std::to_string(*r.cpu_quota_us));
  }
  if (auto* v = member(cpu, "cpus")) r.cpuset_cpus = string_at(*v, f + ".cpus");
  if (auto* v = member(cpu, "mems")) r.cpuset_mems = string_at(*v, f + ".mems");
  for (const char* k : {"realtimeRuntime", "realtimePeriod"}) {
    if (auto* v = member(cpu, k); v && int_at(*v, f + "." + k) != 0) {
      fail(f + "." + k, "real-time scheduling limits are not supported");
    }
  }
}

void parse_unified(const json& u, const std::string& f, Resources& r) {
  object_at(u, f);
  for (const auto& [key, value] : u.items()) {
    // Keys are file names in the container's own cgroup directory: nothing that walks.
    if (key.empty() || key.find('/') != std::string::npos || key.find('.') == std::string::npos ||
        key == "." || key == "..") {
      fail(f + "." + key, "not a cgroup interface file name");
    }
    r.unified[key] = string_at(value, f + "." + key);
  }
}

}  // namespace

Resources from_oci(const json& res, const std::string& where) {
  Resources r;
  if (res.is_null()) return r;
  object_at(res, where);
  if (auto* v = member(res, "memory")) parse_memory(*v, where + ".memory", r);
  if (auto* v = member(res, "cpu")) parse_cpu(*v, where + ".cpu", r);
  if (auto* v = member(res, "pids")) {
    object_at(*v, where + ".pids");
    if (auto* l = member(*v, "limit")) {
      std::int64_t limit = int_at(*l, where + ".pids.limit");
      if (limit != 0) r.pids_limit = limit < 0 ? kUnlimited : limit;  // 0 = unset (runc)
    }
  }
  if (auto* v = member(res, "blockIO")) {
    const std::string f = where + ".blockIO";
    object_at(*v, f);
    if (auto* w = member(*v, "weight"); w && int_at(*w, f + ".weight") != 0) {
      r.io_weight = static_cast<std::uint16_t>(uint_at(*w, f + ".weight", 10, 1000));
    }
    for (const char* k :
         {"leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
          "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}) {
      if (auto* x = member(*v, k);
          x && !(x->is_array() && x->empty()) && !(x->is_number() && *x == 0)) {
        fail(f + "." + k, "not supported by skiff");
      }
    }
  }
  if (auto* v = member(res, "unified")) parse_unified(*v, where + ".unified", r);
  for (const char* k : {"hugepageLimits", "network", "rdma"}) {
    if (auto* x = member(res, k);
        x && !(x->is_array() && x->empty()) && !(x->is_object() && x->empty())) {
      fail(where + "." + k, "not supported by skiff");
    }
  }
  return r;
}

}  // namespace skiff::cgroups
