#include "image/registry/pull.h"

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "common/json_parse.h"
#include "image/registry/blob_fetch.h"
#include "image/registry/credentials.h"
#include "image/registry/platform.h"
#include "image/registry/reference.h"
#include "image/registry/registry_client.h"

namespace skiff::image {

namespace {

constexpr std::string_view kLayerTypes[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
};
constexpr std::string_view kConfigTypes[] = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
};

bool one_of(std::string_view t, const auto& list) {
  for (std::string_view x : list) {
    if (t == x) return true;
  }
  return false;
}

// Only layers we can unpack: foreign and non-distributable layers live elsewhere (their
// "urls"), artifacts are not images at all.
void check_media_types(const Manifest& m, std::string_view where) {
  if (!one_of(m.config.media_type, kConfigTypes)) {
    throw Error(fmt::format("{}: config has media type \"{}\": not a container image", where,
                            m.config.media_type));
  }
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& l = m.layers[i];
    if (one_of(l.media_type, kLayerTypes)) continue;
    bool foreign = l.media_type.find("foreign") != std::string::npos ||
                   l.media_type.find("nondistributable") != std::string::npos;
    throw Error(fmt::format("{}: layers[{}] ({}) has media type \"{}\": {}", where, i,
                            l.digest.str(), l.media_type,
                            foreign ? "foreign/non-distributable layers are not supported"
                                    : "not a layer type this puller knows"));
  }
}

// Serializes progress callbacks from the download threads.
class Reporter {
 public:
  explicit Reporter(std::function<void(const LayerProgress&)> fn) : fn_(std::move(fn)) {}
  void operator()(const LayerProgress& p) {
    if (!fn_) return;
    std::lock_guard lock(mu_);
    fn_(p);
  }

 private:
  std::function<void(const LayerProgress&)> fn_;
  std::mutex mu_;
};

// Stores a small document (manifest or index) we already hold and verified.
void store_document(ContentStore& store, const Descriptor& d, std::string_view body) {
  BlobWriter w = store.begin_write(d.digest, body.size());
  w.write(body);
  w.commit();
}

struct Downloads {
  unsigned downloaded = 0, cached = 0;
  std::uint64_t bytes = 0;
};

Downloads download_all(RegistryClient& client, ContentStore& store,
                       const std::vector<Descriptor>& blobs, const PullOptions& opts,
                       Reporter& report) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::exception_ptr first_error;
  Downloads totals;
  BlobFetch fetch{client, store, opts.retries, [&report](const LayerProgress& p) { report(p); },
                  &cancel};
  for (const Descriptor& b : blobs) {
    report(LayerProgress{b.digest.str(), 0, b.size, LayerProgress::Phase::Waiting, {}});
  }
  auto worker = [&] {
    while (!cancel.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= blobs.size()) return;
      try {
        BlobFetchResult r = fetch_blob(fetch, blobs[i]);
        std::lock_guard lock(mu);
        (r.cached ? totals.cached : totals.downloaded)++;
        totals.bytes += r.bytes;
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::current_exception();
        cancel = true;
      }
    }
  };
  unsigned n = std::max(1u, std::min<unsigned>(opts.max_parallel, blobs.size()));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  return totals;
}

// Manifest requests get the same retries as blobs: a registry that is briefly down or
// slow to accept should not fail a pull before it has started.
FetchedManifest fetch_with_retries(RegistryClient& client, const std::string& reference,
                                   unsigned retries) {
  for (unsigned attempt = 0;; ++attempt) {
    try {
      return client.fetch_manifest(reference);
    } catch (const RegistryError& e) {
      if (!e.transient() || attempt >= retries) throw;
    } catch (const NetworkError& e) {
      if (attempt >= retries) {
        throw Error(fmt::format("{}: manifest {}: giving up after {} attempts: {}", client.name(),
                                reference, attempt + 1, e.what()));
      }
    }
    std::this_thread::sleep_for(retry_delay(attempt));
  }
}

struct Document {
  Descriptor descriptor;
  std::string body;
};

// A manifest or index by digest: from the store if we have it, else from the registry.
Document get_by_digest(RegistryClient& client, ContentStore& store, const Descriptor& want,
                       unsigned retries) {
  if (store.has(want.digest)) {
    return {want, store.read_small(want.digest, kMaxManifestSize)};
  }
  FetchedManifest f = fetch_with_retries(client, want.digest.str(), retries);
  if (f.body.size() != want.size) {
    throw Error(fmt::format("{}: manifest {}: {} bytes, but the index says {}", client.name(),
                            want.digest.str(), f.body.size(), want.size));
  }
  return {want, std::move(f.body)};
}

// The document's own mediaType, else the Content-Type, else (for a stored document
// without either: OCI makes the field optional) what its shape says.
std::string declared_type(const std::string& body, const std::string& header_type) {
  auto doc = skiff::parse_json_or_discarded(body);
  if (!doc.is_object()) return header_type;
  if (doc.contains("mediaType") && doc["mediaType"].is_string()) {
    return doc["mediaType"].get<std::string>();
  }
  if (!header_type.empty()) return header_type;
  if (doc.contains("manifests")) return std::string(media_type::kOciIndex);
  if (doc.contains("config")) return std::string(media_type::kOciManifest);
  return {};
}

}  // namespace

PullResult pull_image(ContentStore& store, std::string_view reference, const PullOptions& opts) {
  ImageRef ref = ImageRef::parse(reference);
  Platform wanted = opts.platform.empty() ? Platform::host() : Platform::parse(opts.platform);
  ClientOptions co{opts.insecure_registries, opts.ca_file, opts.connect_timeout, opts.idle_timeout};
  RegistryClient client(ref.endpoint(), ref.domain, ref.repository, co,
                        find_credentials(opts.auth_file, ref.domain));
  Reporter report(opts.progress);
  // Shared for the whole pull: gc waits, and our per-digest lock files stay valid.
  StoreLock store_lock = store.lock(StoreLock::Mode::kShared);

  PullResult result;
  result.reference = ref.str();

  Document top{placeholder_descriptor(), {}};
  if (ref.digest && store.has(*ref.digest)) {
    std::string body = store.read_small(*ref.digest, kMaxManifestSize);
    std::string type = declared_type(body, "");
    top = {Descriptor{type, *ref.digest, body.size(), {}, nullptr}, std::move(body)};
  } else {
    FetchedManifest f = fetch_with_retries(client, ref.manifest_reference(), opts.retries);
    std::string type = declared_type(f.body, f.media_type);
    top = {Descriptor{type, f.digest, f.body.size(), {}, nullptr}, std::move(f.body)};
  }
  result.top = top.descriptor;
  const std::string where = fmt::format("{} ({})", result.reference, top.descriptor.digest.str());

  Document chosen = top;
  if (is_index_type(top.descriptor.media_type)) {
    Index index = parse_index(top.body, where, top.descriptor.media_type);
    const Descriptor& d = choose_platform(index, wanted, where);
    chosen = get_by_digest(client, store, d, opts.retries);
    chosen.descriptor.platform = d.platform;
  } else if (!is_manifest_type(top.descriptor.media_type)) {
    if (is_schema1_type(top.descriptor.media_type)) {
      throw Error(
          fmt::format("{}: Docker schema1 manifests are deprecated and not supported", where));
    }
    throw Error(fmt::format("{}: media type \"{}\" is neither an image manifest nor an index",
                            where, top.descriptor.media_type));
  }
  result.manifest = chosen.descriptor;
  const std::string mwhere =
      fmt::format("{} manifest {}", result.reference, chosen.descriptor.digest.str());
  result.parsed = parse_manifest(chosen.body, mwhere, chosen.descriptor.media_type);
  check_media_types(result.parsed, mwhere);

  std::vector<Descriptor> blobs{result.parsed.config};
  std::set<Digest> seen{result.parsed.config.digest};
  for (const Descriptor& l : result.parsed.layers) {
    if (seen.insert(l.digest).second) blobs.push_back(l);
  }
  Downloads d = download_all(client, store, blobs, opts, report);
  result.blobs_downloaded = d.downloaded;
  result.blobs_cached = d.cached;
  result.bytes_downloaded = d.bytes;

  // Referrers last: a manifest becomes visible only once all it names is stored.
  store_document(store, chosen.descriptor, chosen.body);
  if (top.descriptor.digest != chosen.descriptor.digest) {
    store_document(store, top.descriptor, top.body);
  }
  return result;
}

}  // namespace skiff::image
