#include "agent/api/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace skiff::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 64 * 1024;
// A writer that never ends its line must not make us buffer without bound.
constexpr std::size_t kMaxLine = 1024 * 1024;

std::string_view next_field(std::string_view& rest) {
  auto space = rest.find(' ');
  if (space == std::string_view::npos) return {};
  std::string_view field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return field;
}

}  // namespace

std::optional<CriEntry> parse_cri_line(std::string_view line) {
  CriEntry e;
  std::string_view rest = line;
  e.time = next_field(rest);
  e.stream = next_field(rest);
  std::string_view tag = rest.substr(0, rest.find(' '));
  if (e.time.empty() || (e.stream != "stdout" && e.stream != "stderr")) return std::nullopt;
  if (tag != "F" && tag != "P") return std::nullopt;
  e.partial = tag == "P";
  rest.remove_prefix(tag.size());
  if (!rest.empty()) rest.remove_prefix(1);  // the space before the text
  e.text = rest;
  return e;
}

std::vector<fs::path> rotated_files(const fs::path& path) {
  std::vector<fs::path> old;
  for (int i = 1; i < 10'000; ++i) {
    fs::path p = path.native() + "." + std::to_string(i);
    std::error_code ec;
    if (!fs::exists(p, ec)) break;
    old.push_back(p);
  }
  std::vector<fs::path> files(old.rbegin(), old.rend());
  std::error_code ec;
  if (fs::exists(path, ec)) files.push_back(path);
  return files;
}

void LogFormatter::feed(std::string_view line, const Sink& out) {
  auto e = parse_cri_line(line);
  if (!e) {
    if (options_.stream.empty()) {
      std::string copy(line);
      copy += '\n';
      out(copy);
    }
    return;
  }
  if (!options_.stream.empty() && e->stream != options_.stream) return;
  auto it = pending_.find(e->stream);
  if (it == pending_.end()) it = pending_.emplace(std::string(e->stream), std::string()).first;
  std::string& text = it->second;
  if (text.empty() && options_.timestamps) {
    text.append(e->time);
    text += ' ';
  }
  text.append(e->text);
  if (e->partial && text.size() < kMaxLine) return;
  text += '\n';
  out(text);
  text.clear();
}

LogReader::LogReader(fs::path path, LogOptions options)
    : path_(std::move(path)), options_(options), formatter_(std::move(options)) {}

void LogReader::feed_chunk(std::string_view chunk, const Sink& out) {
  carry_.append(chunk);
  std::size_t start = 0;
  for (;;) {
    auto nl = carry_.find('\n', start);
    if (nl == std::string::npos) break;
    formatter_.feed(std::string_view(carry_).substr(start, nl - start), out);
    start = nl + 1;
  }
  carry_.erase(0, start);
  if (carry_.size() > kMaxLine) {
    formatter_.feed(carry_, out);
    carry_.clear();
  }
}

void LogReader::read_whole(const fs::path& file, const Sink& out, bool keep_open) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT && !keep_open) return;  // rotated away under us
    throw_errno("open", file);
  }
  std::string buf(kChunk, '\0');
  off_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", file);
    }
    if (n == 0) break;
    total += n;
    feed_chunk(std::string_view(buf.data(), static_cast<std::size_t>(n)), out);
  }
  if (keep_open) {
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) throw_errno("fstat", file);
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    offset_ = total;
    current_ = std::move(fd);
  } else if (!carry_.empty()) {
    // A rotated file is complete: its last line ends there even without a newline.
    formatter_.feed(carry_, out);
    carry_.clear();
  }
}

void LogReader::read_existing(const Sink& out) {
  std::vector<fs::path> files = rotated_files(path_);
  if (files.empty()) throw Error("no log file yet at " + path_.native());
  bool has_current = files.back() == path_;
  if (!options_.tail) {
    for (const auto& f : files) read_whole(f, out, has_current && f == path_);
    return;
  }
  // Tail: keep only the last N formatted lines; rotated files are size-capped by the shim.
  std::deque<std::string> last;
  Sink keep = [&](std::string_view line) {
    if (*options_.tail == 0) return;
    last.emplace_back(line);
    if (last.size() > *options_.tail) last.pop_front();
  };
  for (const auto& f : files) read_whole(f, keep, has_current && f == path_);
  for (const auto& line : last) out(line);
}

bool LogReader::drain_fd(const Sink& out) {
  bool any = false;
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::pread(current_.get(), buf.data(), buf.size(), offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path_);
    }
    if (n == 0) return any;
    offset_ += n;
    std::size_t before = carry_.size();
    feed_chunk(std::string_view(buf.data(), static_cast<std::size_t>(n)), out);
    any = any || carry_.size() != before + static_cast<std::size_t>(n);
  }
}

bool LogReader::poll(const Sink& out) {
  bool any = false;
  if (current_) {
    struct stat st {};
    if (::fstat(current_.get(), &st) == 0 && st.st_size < offset_) {
      offset_ = 0;  // truncated in place (copytruncate-style)
      carry_.clear();
    }
    any = drain_fd(out);
  }
  // Rotated: the name now points at a new file. The old one was drained above.
  struct stat st {};
  if (::stat(path_.c_str(), &st) < 0) return any;  // between rename and re-create
  if (current_ && st.st_dev == dev_ && st.st_ino == ino_) return any;
  if (!carry_.empty()) {
    formatter_.feed(carry_, out);
    carry_.clear();
    any = true;
  }
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd || ::fstat(fd.get(), &st) < 0) return any;
  current_ = std::move(fd);
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  offset_ = 0;
  return drain_fd(out) || any;
}

}  // namespace skiff::agent
