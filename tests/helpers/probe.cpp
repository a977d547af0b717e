// skiff-probe MODE ARG: behaviours for cgroup and runtime tests. Static, no dependencies,
// so it also runs inside minimal container root filesystems.
//   alloc MIB        touch MIB MiB of memory, print "allocated", exit 0
//   spin SECS        busy-loop for SECS seconds of wall time
//   fork N           try to start N children that sleep; print "forked K errno E"; exit 0
//   tick             write one byte to stdout every 10 ms, forever
//   tree N           start N sleeping children, print "ready", sleep forever
//   report [--check-path P]... [--pretty]
//                    print one JSON object describing what this process sees (probe_report.h)
//   trap-term [CODE] print "waiting"; on SIGTERM print "got SIGTERM" and exit CODE (default 0)
//   ignore-term      ignore SIGTERM, print "waiting", sleep forever (only SIGKILL stops it)
//   exit N           exit with status N
//   sleep [SECS]     sleep SECS seconds (forever without SECS)
//   escape [...]     the escape battery: one JSON line per attack (probe_escape.h)
//   thread           start and join one thread (glibc tries clone3, then clone on ENOSYS);
//                    print "thread ran" and exit 0, or "pthread_create: ERROR" and exit 1
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "probe_escape.h"
#include "probe_report.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: skiff-probe alloc MIB | spin SECS | fork N | tick | tree N\n"
               "       | report [--check-path P]... [--pretty] | trap-term [CODE]\n"
               "       | ignore-term | exit N | sleep [SECS] | escape [OPTIONS]\n"
               "       | thread\n");
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

volatile sig_atomic_t got_term = 0;

void on_term(int) {
  got_term = 1;
}

// A real handler rather than sigwait: as PID 1 of a PID namespace the kernel drops signals
// whose disposition is the default, so only a handler proves what a runtime delivered.
int trap_term(int code) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);  // no SIGTERM slips between the check and the wait
  struct sigaction sa = {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  std::printf("waiting\n");
  std::fflush(stdout);
  sigdelset(&old, SIGTERM);
  while (!got_term) sigsuspend(&old);
  std::printf("got SIGTERM\n");
  std::fflush(stdout);
  return code;
}

int ignore_term() {
  ::signal(SIGTERM, SIG_IGN);
  std::printf("waiting\n");
  std::fflush(stdout);
  for (;;) ::pause();
}

int sleep_for(const char* arg) {
  if (!arg) {
    for (;;) ::pause();
  }
  double secs = std::atof(arg);
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((secs - std::floor(secs)) * 1e9);
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return 0;
}

void* thread_body(void*) {
  return nullptr;
}

int one_thread() {
  pthread_t t;
  int err = ::pthread_create(&t, nullptr, thread_body, nullptr);
  if (err != 0) {
    std::printf("pthread_create: %s\n", std::strerror(err));
    return 1;
  }
  ::pthread_join(t, nullptr);
  std::printf("thread ran\n");
  return 0;
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
  if (mode == "report") return skiff::probe::report(argc, argv);
  if (mode == "escape") return skiff::probe::escape(argc, argv);
  if (mode == "trap-term") return trap_term(static_cast<int>(arg));
  if (mode == "ignore-term") return ignore_term();
  if (mode == "exit" && argc > 2) return static_cast<int>(arg);
  if (mode == "sleep") return sleep_for(argc > 2 ? argv[2] : nullptr);
  if (mode == "thread") return one_thread();
  return usage();
}
