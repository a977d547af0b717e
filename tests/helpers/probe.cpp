// skiff-probe MODE ARG: behaviours for cgroup and runtime tests. Static, no dependencies,
// so it also runs inside minimal container root filesystems.
//   alloc MIB    touch MIB MiB of memory, print "allocated", exit 0
//   spin SECS    busy-loop for SECS seconds of wall time
//   fork N       try to start N children that sleep; print "forked K errno E"; exit 0
//   tick         write one byte to stdout every 10 ms, forever
//   tree N       start N sleeping children, print "ready", sleep forever
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int usage() {
  std::fprintf(stderr, "usage: skiff-probe alloc MIB | spin SECS | fork N | tick | tree N\n");
  return 2;
}

int alloc(long mib) {
  const size_t chunk = 1 << 20;
  std::vector<char*> blocks;
  for (long i = 0; i < mib; ++i) {
    char* p = static_cast<char*>(std::malloc(chunk));
    if (!p) {
      std::printf("malloc failed after %ld MiB\n", i);
      return 1;
    }
    std::memset(p, 1, chunk);  // touch every page so it is really charged
    blocks.push_back(p);
  }
  std::printf("allocated %ld MiB\n", mib);
  return 0;
}

int spin(double secs) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
  volatile unsigned long x = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 10000; ++i) x = x + 1;
  }
  return 0;
}

int fork_many(long n) {
  long ok = 0;
  int first_errno = 0;
  std::vector<pid_t> kids;
  for (long i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    if (pid < 0) {
      if (!first_errno) first_errno = errno;
      continue;
    }
    ++ok;
    kids.push_back(pid);
  }
  std::printf("forked %ld errno %d\n", ok, first_errno);
  std::fflush(stdout);
  for (pid_t k : kids) ::kill(k, SIGKILL);
  for (pid_t k : kids) ::waitpid(k, nullptr, 0);
  return 0;
}

int tick() {
  for (;;) {
    if (::write(1, ".", 1) < 0) return 1;
    ::usleep(10000);
  }
}

int tree(long n) {
  for (long i = 0; i < n; ++i) {
    if (::fork() == 0) {
      for (;;) ::pause();
    }
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string mode = argv[1];
  double arg = argc > 2 ? std::atof(argv[2]) : 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (mode == "alloc") return alloc(static_cast<long>(arg));
  if (mode == "spin") return spin(arg);
  if (mode == "fork") return fork_many(static_cast<long>(arg));
  if (mode == "tick") return tick();
  if (mode == "tree") return tree(static_cast<long>(arg));
  return usage();
}
