// The cached paths of the image service, timed in-process (no process start-up in the
// figure): a re-pull of an image whose blobs are all present (one manifest request, zero
// blob downloads) and a second container's bundle from the same image (no unpack: the
// layer snapshots exist; an overlay mount, a lease file and config.json).
//
// Usage: image-cache-bench STORE_ROOT REF INSECURE_HOST WORK_DIR [RUNS]
// Prints: "repull_ms MEDIAN MAX blobs_downloaded N" and "bundle_ms MEDIAN MAX layers_unpacked N".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "image/registry/pull.h"
#include "image/service/images.h"

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void report(const char* name, std::vector<double> v, const char* what, unsigned long total) {
  std::sort(v.begin(), v.end());
  std::printf("%s %.2f %.2f %s %lu\n", name, v[v.size() / 2], v.back(), what, total);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s STORE_ROOT REF INSECURE_HOST WORK_DIR [RUNS]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1], work = argv[4];
  const std::string ref = argv[2];
  const int runs = argc > 5 ? std::stoi(argv[5]) : 20;
  try {
    skiff::image::Images images(root);
    skiff::image::PullOptions opts;
    opts.insecure_registries = {argv[3]};
    std::vector<double> pulls;
    unsigned long downloaded = 0;
    for (int i = 0; i < runs; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = images.pull(ref, opts);
      pulls.push_back(ms_since(t0));
      downloaded += r.blobs_downloaded;
    }
    report("repull_ms", pulls, "blobs_downloaded", downloaded);

    // The first bundle unpacks (if needed); the timed ones reuse its snapshots.
    images.remove_bundle(work / "first");
    images.create_bundle(ref, work / "first", {}, "bench-first");
    std::vector<double> bundles;
    unsigned long unpacked = 0;
    for (int i = 0; i < runs; ++i) {
      auto dir = work / ("second-" + std::to_string(i));
      auto t0 = std::chrono::steady_clock::now();
      auto info = images.create_bundle(ref, dir, {}, "bench-second-" + std::to_string(i));
      bundles.push_back(ms_since(t0));
      unpacked += info.layers_unpacked;
      images.remove_bundle(dir);
    }
    images.remove_bundle(work / "first");
    report("bundle_ms", bundles, "layers_unpacked", unpacked);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image-cache-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
