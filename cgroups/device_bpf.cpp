#include "cgroups/device_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace skiff::cgroups {

namespace {

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

template <typename T>
std::uint64_t ptr(T* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

// A program without a verifier log first: the log costs a buffer and time, and is only
// read when the kernel says no.
UniqueFd load(const std::vector<bpf_insn>& program, const std::filesystem::path& dir) {
  static const char kLicense[] = "Apache-2.0";  // no GPL-only helpers are called
  auto attempt = [&](char* log, std::uint32_t log_size) {
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.expected_attach_type = BPF_CGROUP_DEVICE;
    attr.insns = ptr(program.data());
    attr.insn_cnt = static_cast<std::uint32_t>(program.size());
    attr.license = ptr(kLicense);
    if (log) {
      attr.log_buf = ptr(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return static_cast<int>(bpf(BPF_PROG_LOAD, attr));
  };
  int fd = attempt(nullptr, 0);
  if (fd >= 0) return UniqueFd(fd);
  const int first = errno;
  std::string log(64 * 1024, '\0');
  fd = attempt(log.data(), static_cast<std::uint32_t>(log.size()));
  if (fd >= 0) return UniqueFd(fd);  // a refusal that did not repeat: take the program
  log.resize(log.find('\0'));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  const SysError error(
      "bpf(BPF_PROG_LOAD) device program (" + std::to_string(program.size()) + " instructions) for",
      dir.string(), first);
  if (log.empty()) throw error;
  throw Error(std::string(error.what()) + "; verifier log:\n" + log);
}

UniqueFd open_dir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open cgroup", dir);
  return fd;
}

std::vector<std::uint32_t> query(int dir_fd, const std::filesystem::path& dir) {
  std::vector<std::uint32_t> ids(16);
  for (;;) {
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(dir_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = ptr(ids.data());
    attr.query.prog_cnt = static_cast<std::uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    if (errno != ENOSPC) throw_errno("bpf(BPF_PROG_QUERY) device programs of", dir);
    ids.resize(ids.size() * 4);
  }
}

}  // namespace

std::vector<std::uint32_t> attached_device_programs(const std::filesystem::path& dir) {
  return query(open_dir(dir).get(), dir);
}

void attach_device_program(const std::filesystem::path& dir, const std::vector<bpf_insn>& program) {
  UniqueFd prog = load(program, dir);
  UniqueFd dir_fd = open_dir(dir);
  const auto old = query(dir_fd.get(), dir);

  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(dir_fd.get());
  attach.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) {
    throw_errno("bpf(BPF_PROG_ATTACH) device program to", dir);
  }
  for (std::uint32_t id : old) {
    bpf_attr get{};
    get.prog_id = id;
    UniqueFd old_fd(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old_fd) {
      if (errno == ENOENT) continue;  // detached meanwhile
      throw_errno("bpf(BPF_PROG_GET_FD_BY_ID " + std::to_string(id) + ") for", dir);
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<std::uint32_t>(dir_fd.get());
    detach.attach_bpf_fd = static_cast<std::uint32_t>(old_fd.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT) {
      throw_errno("bpf(BPF_PROG_DETACH) old device program " + std::to_string(id) + " from", dir);
    }
  }
}

}  // namespace skiff::cgroups
