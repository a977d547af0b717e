// BlobWriter, and ContentStore::begin_write which creates it.
#include "image/store/blob_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"
#include "image/store/content_store.h"
#include "image/store/store_lock.h"

namespace skiff::image {

namespace fs = std::filesystem;

namespace {

// Unpredictable ingest names, so concurrent writers (even of the same digest) never
// share a file and nobody can pre-create one of ours.
std::string random_name() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom", "");
    }
    got += static_cast<std::size_t>(n);
  }
  std::string name;
  for (unsigned char b : bytes) name += fmt::format("{:02x}", b);
  return name;
}

void fsync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open directory", dir.string());
  if (::fsync(fd.get()) != 0) throw_errno("fsync", dir.string());
}

}  // namespace

struct BlobWriter::State {
  enum class Phase { kPresent, kWriting, kVerified, kCommitted, kFailed };

  Digest expected;
  std::optional<std::uint64_t> expected_size;
  fs::path tmp;
  fs::path final_path;
  fs::path blobs_dir;
  std::optional<StoreLock> lock;  // shared, for as long as an ingest file exists
  UniqueFd fd;
  std::unique_ptr<Sha256> hasher;
  std::uint64_t written = 0;
  Phase phase = Phase::kPresent;

  explicit State(const Digest& d) : expected(d) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { discard(); }

  // Removes the ingest file; the writer cannot be used afterwards.
  void discard() noexcept {
    if (phase == Phase::kWriting || phase == Phase::kVerified) {
      fd.reset();
      ::unlink(tmp.c_str());
      phase = Phase::kFailed;
      lock.reset();
    }
  }

  void require_usable(const char* what) const {
    if (phase == Phase::kFailed) {
      throw Error(fmt::format("blob {}: {} after the write already failed", expected.str(), what));
    }
    if (phase == Phase::kCommitted) {
      throw Error(fmt::format("blob {}: {} after commit", expected.str(), what));
    }
  }
};

BlobWriter::BlobWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

bool BlobWriter::already_present() const {
  return state_->phase == State::Phase::kPresent;
}
const Digest& BlobWriter::expected() const {
  return state_->expected;
}
std::uint64_t BlobWriter::written() const {
  return state_->written;
}

void BlobWriter::write(std::string_view chunk) {
  State& s = *state_;
  if (s.phase == State::Phase::kPresent) return;
  s.require_usable("write");
  if (s.phase == State::Phase::kVerified) {
    throw Error(fmt::format("blob {}: write after verify", s.expected.str()));
  }
  // Stop as soon as the stream is longer than promised, instead of filling the disk.
  if (s.expected_size && s.written + chunk.size() > *s.expected_size) {
    s.discard();
    throw Error(fmt::format("blob {}: size mismatch: expected {} bytes, got at least {}",
                            s.expected.str(), *s.expected_size, s.written + chunk.size()));
  }
  s.hasher->update(chunk);
  const char* p = chunk.data();
  std::size_t left = chunk.size();
  while (left > 0) {
    ssize_t n = ::write(s.fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      s.discard();
      throw SysError("write", s.tmp.string(), err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  s.written += chunk.size();
}

void BlobWriter::verify() {
  State& s = *state_;
  if (s.phase == State::Phase::kPresent || s.phase == State::Phase::kVerified) return;
  s.require_usable("verify");
  if (s.expected_size && s.written != *s.expected_size) {
    s.discard();
    throw Error(fmt::format("blob {}: size mismatch: expected {} bytes, got {}", s.expected.str(),
                            *s.expected_size, s.written));
  }
  Digest actual = s.hasher->finish();
  if (actual != s.expected) {
    s.discard();
    throw Error(fmt::format("blob digest mismatch: expected {}, got {} ({} bytes)",
                            s.expected.str(), actual.str(), s.written));
  }
  // Blobs are immutable once stored; read-only makes accidental edits fail loudly.
  if (::fchmod(s.fd.get(), 0444) != 0 || ::fsync(s.fd.get()) != 0) {
    int err = errno;
    s.discard();
    throw SysError("fsync", s.tmp.string(), err);
  }
  s.phase = State::Phase::kVerified;
}

void BlobWriter::commit() {
  State& s = *state_;
  if (s.phase == State::Phase::kPresent) return;
  verify();
  s.fd.reset();
  // Another writer may have published the same digest meanwhile; its bytes are ours.
  if (::access(s.final_path.c_str(), F_OK) == 0) {
    ::unlink(s.tmp.c_str());
    s.phase = State::Phase::kPresent;
    s.lock.reset();
    return;
  }
  if (::rename(s.tmp.c_str(), s.final_path.c_str()) != 0) {
    int err = errno;
    s.discard();
    throw SysError("rename into store", s.tmp.string(), err);
  }
  s.phase = State::Phase::kCommitted;
  s.lock.reset();
  fsync_dir(s.blobs_dir);
}

BlobWriter ContentStore::begin_write(const Digest& expected,
                                     std::optional<std::uint64_t> expected_size) {
  auto s = std::make_unique<BlobWriter::State>(expected);
  if (has(expected)) return BlobWriter(std::move(s));

  s->lock.emplace(lock_file(), StoreLock::Mode::kShared);
  s->expected_size = expected_size;
  s->final_path = path(expected);
  s->blobs_dir = blobs_dir();
  s->hasher = std::make_unique<Sha256>();
  s->tmp = ingest_dir() / random_name();
  s->fd.reset(::open(s->tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!s->fd) throw_errno("create ingest file", s->tmp.string());
  s->phase = BlobWriter::State::Phase::kWriting;
  return BlobWriter(std::move(s));
}

}  // namespace skiff::image
