#include "image/registry/blob_fetch.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "image/registry/digest_lock.h"

namespace skiff::image {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::uint64_t kReportEvery = 512 * 1024;

// "bytes START-END/TOTAL" -> START, or -1.
long long range_start(const std::string& content_range) {
  if (content_range.rfind("bytes ", 0) != 0) return -1;
  long long start = -1;
  const char* b = content_range.data() + 6;
  auto [p, ec] = std::from_chars(b, content_range.data() + content_range.size(), start);
  if (ec != std::errc() || *p != '-') return -1;
  return start;
}

}  // namespace

// Jitter, so parallel downloads do not retry in lockstep.
std::chrono::milliseconds retry_delay(unsigned attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  unsigned base = 250u << std::min(attempt, 5u);  // 250 ms .. 8 s
  std::uniform_int_distribution<unsigned> jitter(0, base / 2);
  return std::chrono::milliseconds(base * 3 / 4 + jitter(rng));
}

BlobFetchResult fetch_blob(const BlobFetch& f, const Descriptor& blob) {
  const std::string digest = blob.digest.str();
  auto report = [&](LayerProgress::Phase phase, std::uint64_t done, std::string message = {}) {
    if (f.report) f.report(LayerProgress{digest, done, blob.size, phase, std::move(message)});
  };
  BlobFetchResult result;
  if (f.store.has(blob.digest)) {
    result.cached = true;
    report(LayerProgress::Phase::Cached, blob.size);
    return result;
  }
  DigestLock lock(f.store, blob.digest);
  // Another process may have fetched it while we waited for the lock.
  if (f.store.has(blob.digest)) {
    result.cached = true;
    report(LayerProgress::Phase::Cached, blob.size);
    return result;
  }

  BlobWriter writer = f.store.begin_write(blob.digest, blob.size);
  std::string last_error;
  for (unsigned attempt = 0;; ++attempt) {
    try {
      std::uint64_t offset = writer.written();
      OpenResponse o = f.client.open_blob(blob.digest, offset);
      if (offset > 0 &&
          (o.response.status != 206 ||
           range_start(o.response.header("content-range")) != static_cast<long long>(offset))) {
        // No usable resume: start the blob over.
        writer = f.store.begin_write(blob.digest, blob.size);
      }
      report(LayerProgress::Phase::Downloading, writer.written());
      std::uint64_t last_report = writer.written();
      std::string buf(kChunk, '\0');
      while (std::size_t n = o.session->read_body(buf.data(), buf.size())) {
        if (f.cancel && f.cancel->load()) {
          throw Error(fmt::format("blob {}: cancelled", digest));
        }
        result.bytes += n;
        writer.write(std::string_view(buf.data(), n));
        // Progress every kReportEvery bytes, not every read: callers print it.
        if (writer.written() - last_report >= kReportEvery) {
          last_report = writer.written();
          report(LayerProgress::Phase::Downloading, last_report);
        }
      }
      try {
        writer.commit();
      } catch (const Error& e) {
        throw Error(fmt::format("{}: {}", f.client.name(), e.what()));
      }
      report(LayerProgress::Phase::Done, blob.size);
      return result;
    } catch (const RegistryError& e) {
      if (!e.transient()) throw;
      last_error = e.what();
    } catch (const NetworkError& e) {
      last_error = e.what();
    }
    if (attempt >= f.retries) {
      throw Error(fmt::format("{}: blob {}: giving up after {} attempts: {}", f.client.name(),
                              digest, attempt + 1, last_error));
    }
    if (f.cancel && f.cancel->load()) throw Error(fmt::format("blob {}: cancelled", digest));
    report(LayerProgress::Phase::Retrying, writer.written(), last_error);
    std::this_thread::sleep_for(retry_delay(attempt));
  }
}

}  // namespace skiff::image
