#include "common/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace skiff {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return std::nullopt;
  ++p;
  if (p[0] != ' ' || p[1] == '\0') return std::nullopt;
  char state = p[1];
  // After ')' come fields 3..; starttime is field 22, the 20th of them.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p + 1, ' ');
    if (!p) return std::nullopt;
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(p + 1, &end, 10);
  if (end == p + 1) return std::nullopt;
  return ProcStat{state, v};
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st) return std::nullopt;
  return st->start_time;
}

}  // namespace skiff
