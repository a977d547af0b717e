// Registries that misbehave: a blob that does not match its digest, a manifest above the
// size limit, a body that stalls, a connection dropped mid-blob, a 503. A real registry
// cannot do these, so a TestServer plays one. After each, the store must hold no partial
// blob and the next pull from a real registry must work.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <random>

#include "common/error.h"
#include "common/file_io.h"
#include "common/unique_fd.h"
#include "image/registry/challenge.h"
#include "image/registry/pull.h"
#include "registry_fixture.h"
#include "test_server.h"

#ifdef __SANITIZE_ADDRESS__
// ASan keeps freed memory in a quarantine (256 MiB by default) that LargeBlobStreams would
// read as RSS growth; a small one keeps use-after-free detection and the check meaningful.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=8";
}
constexpr std::uint64_t kRssSlack = 24u << 20;
#else
constexpr std::uint64_t kRssSlack = 16u << 20;
#endif

namespace skiff::image {
namespace {

using skiff::testing::http_response;
using skiff::testing::Registry;
using skiff::testing::TempDir;
using skiff::testing::TestConnection;
using skiff::testing::TestRequest;
using skiff::testing::TestServer;

enum class Misbehaviour {
  kNone,
  kWrongDigest,
  kHugeManifest,
  kHugeChunkedManifest,
  kStall,
  kDropOnce,
  kUnavailableOnce,
  kSchema1,
  kForeignLayer,
  kAuthAndRedirect,  // wants Basic auth; sends the layer to another origin (a "CDN")
};

// A one-layer image whose layer (1 MiB of noise) is served per `mode`.
class HostileRegistry {
 public:
  explicit HostileRegistry(Misbehaviour mode)
      : mode_(mode),
        server_([this](const TestRequest& r, TestConnection& c) { return handle(r, c); }) {
    std::mt19937 rng(42);
    layer_.resize(1 << 20);
    for (char& c : layer_) c = static_cast<char>(rng());
    config_ = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    nlohmann::json m = {
        {"schemaVersion", 2},
        {"mediaType", media_type::kOciManifest},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", sha256_of(config_).str()},
          {"size", config_.size()}}},
        {"layers",
         {{{"mediaType", mode == Misbehaviour::kForeignLayer
                             ? "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
                             : "application/vnd.oci.image.layer.v1.tar+gzip"},
           {"digest", layer_digest().str()},
           {"size", layer_.size()}}}}};
    manifest_ = m.dump();
  }

  std::string ref() const { return server_.host() + "/hostile:latest"; }
  std::string host() const { return server_.host(); }
  Digest layer_digest() const { return sha256_of(layer_); }
  unsigned layer_requests() const { return layer_requests_.load(); }
  std::string cdn_authorization() const {
    std::lock_guard lock(mu_);
    return cdn_authorization_;
  }
  std::string last_range() const {
    std::lock_guard lock(mu_);
    return last_range_;
  }

 private:
  bool handle(const TestRequest& req, TestConnection& c) {
    if (mode_ == Misbehaviour::kAuthAndRedirect &&
        req.header("authorization") != "Basic " + base64_encode("user:pw")) {
      return c.write(http_response(401, "Unauthorized",
                                   {{"WWW-Authenticate", "Basic realm=\"hostile\""}}, ""));
    }
    const std::string blobs = "/v2/hostile/blobs/";
    if (req.target == "/v2/hostile/manifests/latest") return manifest(c);
    if (req.target == blobs + sha256_of(config_).str()) {
      return c.write(http_response(200, "OK", {}, config_));
    }
    if (req.target == blobs + layer_digest().str()) return layer(req, c);
    return c.write(http_response(404, "Not Found", {}, ""));
  }

  bool manifest(TestConnection& c) {
    std::string type(media_type::kOciManifest);
    if (mode_ == Misbehaviour::kHugeManifest) {
      std::string body(kMaxManifestSize + 1, ' ');
      return c.write(http_response(200, "OK", {{"Content-Type", type}}, body));
    }
    if (mode_ == Misbehaviour::kHugeChunkedManifest) {
      // No Content-Length: only counting the bytes can catch this one.
      c.write("HTTP/1.1 200 OK\r\nContent-Type: " + type +
              "\r\nTransfer-Encoding: chunked\r\n\r\n");
      std::string chunk(64 * 1024, ' ');
      for (std::uint64_t sent = 0; sent <= kMaxManifestSize + chunk.size(); sent += chunk.size()) {
        if (!c.write(fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk))) return false;
      }
      c.write("0\r\n\r\n");
      return false;
    }
    if (mode_ == Misbehaviour::kSchema1) {
      return c.write(http_response(
          200, "OK",
          {{"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"}},
          R"({"schemaVersion":1,"name":"hostile","tag":"latest","fsLayers":[]})"));
    }
    return c.write(http_response(200, "OK", {{"Content-Type", type}}, manifest_));
  }

  bool layer(const TestRequest& req, TestConnection& c) {
    unsigned n = ++layer_requests_;
    std::string range = req.header("range");
    {
      std::lock_guard lock(mu_);
      if (!range.empty()) last_range_ = range;
    }
    std::size_t half = layer_.size() / 2;
    switch (mode_) {
      case Misbehaviour::kWrongDigest: {
        std::string bad = layer_;
        bad[12345] ^= 1;
        return c.write(http_response(200, "OK", {}, bad));
      }
      case Misbehaviour::kStall:
        c.write(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer_.size()));
        c.write(std::string_view(layer_).substr(0, half));
        c.stall();
        return false;
      case Misbehaviour::kDropOnce:
        if (n == 1) {
          c.write(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer_.size()));
          c.write(std::string_view(layer_).substr(0, half));
          return false;  // connection closed mid-body
        }
        if (range.rfind("bytes=", 0) == 0) {
          std::size_t from = std::stoul(range.substr(6));
          return c.write(http_response(
              206, "Partial Content",
              {{"Content-Range",
                fmt::format("bytes {}-{}/{}", from, layer_.size() - 1, layer_.size())}},
              std::string_view(layer_).substr(from)));
        }
        return c.write(http_response(200, "OK", {}, layer_));
      case Misbehaviour::kAuthAndRedirect:
        return c.write(http_response(307, "Temporary Redirect",
                                     {{"Location", "http://" + cdn_.host() + "/layer"}}, ""));
      case Misbehaviour::kUnavailableOnce:
        if (n == 1) {
          return c.write(http_response(503, "Service Unavailable", {},
                                       R"({"errors":[{"code":"UNAVAILABLE","message":"busy"}]})"));
        }
        return c.write(http_response(200, "OK", {}, layer_));
      default:
        return c.write(http_response(200, "OK", {}, layer_));
    }
  }

  Misbehaviour mode_;
  std::string layer_, config_, manifest_;
  std::atomic<unsigned> layer_requests_{0};
  mutable std::mutex mu_;
  std::string last_range_;
  std::string cdn_authorization_ = "(no request)";
  TestServer cdn_{[this](const TestRequest& r, TestConnection& c) {
    {
      std::lock_guard lock(mu_);
      cdn_authorization_ = r.header("authorization");
    }
    return c.write(http_response(200, "OK", {}, layer_));
  }};
  TestServer server_;  // last: stopped before the members its handler reads
};

PullOptions fast_options(const std::string& host, const TempDir& dir) {
  PullOptions o;
  o.insecure_registries = {host};
  o.auth_file = dir / "auth.json";
  skiff::testing::write_text(o.auth_file, "{}");
  o.idle_timeout = std::chrono::milliseconds(400);
  o.retries = 1;
  return o;
}

std::string pull_error(ContentStore& store, const HostileRegistry& h, const PullOptions& o) {
  try {
    pull_image(store, h.ref(), o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// The store is as if the failed pull had not happened, and still works.
void expect_store_recovers(ContentStore& store, const TempDir& dir) {
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
  Registry reg(Registry::Mode::kHttp);
  PullResult r = pull_image(store, reg.host() + "/layers", fast_options(reg.host(), dir));
  EXPECT_EQ(r.parsed.layers.size(), 3u);
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(Hostile, BlobDigestMismatch) {
  HostileRegistry h(Misbehaviour::kWrongDigest);
  TempDir dir;
  ContentStore store(dir / "store");
  std::string err = pull_error(store, h, fast_options(h.host(), dir));
  EXPECT_CONTAINS(err, "digest mismatch");
  EXPECT_CONTAINS(err, h.layer_digest().str());
  EXPECT_CONTAINS(err, h.host() + "/hostile");
  EXPECT_FALSE(store.has(h.layer_digest()));
  EXPECT_EQ(h.layer_requests(), 1u) << "a mismatch is not worth retrying";
  expect_store_recovers(store, dir);
}

TEST(Hostile, ManifestTooLarge) {
  for (auto mode : {Misbehaviour::kHugeManifest, Misbehaviour::kHugeChunkedManifest}) {
    HostileRegistry h(mode);
    TempDir dir;
    ContentStore store(dir / "store");
    std::string err = pull_error(store, h, fast_options(h.host(), dir));
    EXPECT_CONTAINS(err, h.host() + "/hostile");
    EXPECT_CONTAINS(err, "manifest latest");
    EXPECT_CONTAINS(err, std::to_string(kMaxManifestSize));
    EXPECT_TRUE(store.list().empty());
    if (mode == Misbehaviour::kHugeChunkedManifest) expect_store_recovers(store, dir);
  }
}

TEST(Hostile, StalledBlobTimesOut) {
  HostileRegistry h(Misbehaviour::kStall);
  TempDir dir;
  ContentStore store(dir / "store");
  std::string err = pull_error(store, h, fast_options(h.host(), dir));
  EXPECT_CONTAINS(err, "no data for 400 ms");
  EXPECT_CONTAINS(err, h.layer_digest().str());
  EXPECT_CONTAINS(err, "after 2 attempts");
  EXPECT_FALSE(store.has(h.layer_digest()));
  expect_store_recovers(store, dir);
}

TEST(Hostile, DroppedConnectionResumesWithRange) {
  HostileRegistry h(Misbehaviour::kDropOnce);
  TempDir dir;
  ContentStore store(dir / "store");
  std::vector<LayerProgress::Phase> phases;
  PullOptions o = fast_options(h.host(), dir);
  o.progress = [&](const LayerProgress& p) {
    if (p.digest == h.layer_digest().str()) phases.push_back(p.phase);
  };
  PullResult r = pull_image(store, h.ref(), o);
  EXPECT_TRUE(store.has(h.layer_digest()));
  EXPECT_EQ(h.layer_requests(), 2u);
  EXPECT_EQ(h.last_range(), "bytes=524288-");
  // Resumed, not restarted: every byte crossed the network once.
  EXPECT_EQ(r.bytes_downloaded, (1u << 20) + r.parsed.config.size);
  EXPECT_NE(std::find(phases.begin(), phases.end(), LayerProgress::Phase::Retrying), phases.end());
  EXPECT_EQ(phases.back(), LayerProgress::Phase::Done);
  expect_store_recovers(store, dir);
}

TEST(Hostile, ServiceUnavailableIsRetried) {
  HostileRegistry h(Misbehaviour::kUnavailableOnce);
  TempDir dir;
  ContentStore store(dir / "store");
  PullResult r = pull_image(store, h.ref(), fast_options(h.host(), dir));
  EXPECT_EQ(r.blobs_downloaded, 2u);
  EXPECT_EQ(h.layer_requests(), 2u);
  EXPECT_TRUE(skiff::testing::store_is_consistent(store.root()));
}

TEST(Hostile, RefusedManifestKinds) {
  {
    HostileRegistry h(Misbehaviour::kSchema1);
    TempDir dir;
    ContentStore store(dir / "store");
    std::string err = pull_error(store, h, fast_options(h.host(), dir));
    EXPECT_CONTAINS(err, "schema1");
    EXPECT_TRUE(store.list().empty());
  }
  {
    HostileRegistry h(Misbehaviour::kForeignLayer);
    TempDir dir;
    ContentStore store(dir / "store");
    std::string err = pull_error(store, h, fast_options(h.host(), dir));
    EXPECT_CONTAINS(err, "foreign");
    EXPECT_CONTAINS(err, h.layer_digest().str());
    EXPECT_EQ(h.layer_requests(), 0u);
  }
}

TEST(Hostile, RedirectGetsNoCredentials) {
  HostileRegistry h(Misbehaviour::kAuthAndRedirect);
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o = fast_options(h.host(), dir);
  skiff::testing::write_text(o.auth_file, fmt::format(R"({{"auths": {{"{}": {{"auth": "{}"}}}}}})",
                                                      h.host(), base64_encode("user:pw")));
  PullResult r = pull_image(store, h.ref(), o);
  EXPECT_TRUE(store.has(h.layer_digest()));
  EXPECT_EQ(h.cdn_authorization(), "");
  EXPECT_EQ(r.blobs_downloaded, 2u);
}

// A registry whose accept queue is full never completes the TCP handshake.
TEST(Hostile, ConnectTimeout) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener.get(), 0), 0);
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::vector<UniqueFd> fillers;  // never accepted: they fill the queue
  for (int i = 0; i < 8; ++i) {
    fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    ::connect(fillers.back().get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  std::string host = fmt::format("127.0.0.1:{}", ntohs(a.sin_port));
  TempDir dir;
  ContentStore store(dir / "store");
  PullOptions o = fast_options(host, dir);
  o.connect_timeout = std::chrono::milliseconds(300);
  o.retries = 0;
  std::string err;
  try {
    pull_image(store, host + "/slow", o);
  } catch (const Error& e) {
    err = e.what();
  }
  EXPECT_CONTAINS(err, "connect to " + host + ": timed out after 300 ms");
  EXPECT_TRUE(store.list().empty());
}

// Peak RSS grows by far less than the blob: it streams to disk, never into memory.
TEST(Hostile, LargeBlobStreams) {
  constexpr std::uint64_t kSize = 48ull << 20;
  constexpr std::size_t kChunk = 64 * 1024;
  // Fills `c` in place: no allocation per chunk, so even ASan's quarantine stays small.
  auto chunk = [](std::uint64_t i, std::string& c) -> const std::string& {
    c.resize(kChunk);
    std::uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    for (std::size_t k = 0; k < kChunk; k += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::memcpy(c.data() + k, &x, 8);
    }
    return c;
  };
  Sha256 h;
  std::string buf;
  for (std::uint64_t i = 0; i < kSize / kChunk; ++i) h.update(chunk(i, buf));
  Digest layer = h.finish();
  std::string config = R"({"architecture":"amd64","os":"linux"})";
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", media_type::kOciManifest},
                      {"config",
                       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", sha256_of(config).str()},
                        {"size", config.size()}}},
                      {"layers",
                       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                         {"digest", layer.str()},
                         {"size", kSize}}}}};
  TestServer server([&](const TestRequest& r, TestConnection& c) {
    if (r.target == "/v2/big/manifests/latest") {
      return c.write(http_response(
          200, "OK", {{"Content-Type", std::string(media_type::kOciManifest)}}, m.dump()));
    }
    if (r.target == "/v2/big/blobs/" + sha256_of(config).str()) {
      return c.write(http_response(200, "OK", {}, config));
    }
    if (r.target == "/v2/big/blobs/" + layer.str()) {
      c.write(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", kSize));
      std::string out;
      for (std::uint64_t i = 0; i < kSize / kChunk; ++i) {
        if (!c.write(chunk(i, out))) return false;
      }
      return true;
    }
    return c.write(http_response(404, "Not Found", {}, ""));
  });
  TempDir dir;
  ContentStore store(dir / "store");
  auto vm = [](const char* key) {
    std::string status = read_file("/proc/self/status");
    auto p = status.find(key);
    return std::stoull(status.substr(p + std::strlen(key))) * 1024;
  };
  std::uint64_t before = vm("VmRSS:");
  PullResult r = pull_image(store, server.host() + "/big", fast_options(server.host(), dir));
  EXPECT_TRUE(store.has(layer));
  EXPECT_EQ(r.bytes_downloaded, kSize + config.size());
  EXPECT_LT(vm("VmHWM:"), before + kRssSlack) << "peak RSS grew with the blob";
}

}  // namespace
}  // namespace skiff::image
