#include "agent/engine/image_puller.h"

#include <spdlog/spdlog.h>

namespace skiff::agent {

ImagePuller::ImagePuller(image::Images& images, ImageHelperConfig helper)
    : images_(images), helper_(std::move(helper)) {}

ImagePuller::~ImagePuller() {
  for (auto& [image, t] : threads_) {
    if (t.joinable()) t.join();
  }
}

ImagePuller::Outcome ImagePuller::request(const std::string& ref) {
  {
    std::lock_guard lock(mu_);
    if (auto it = outcomes_.find(ref); it != outcomes_.end()) return it->second;
  }
  try {
    images_.resolve(ref);
    std::lock_guard lock(mu_);
    return outcomes_[ref] = Outcome{State::Ready, ""};
  } catch (const std::exception&) {
    // not in the store: pull it
  }
  std::lock_guard lock(mu_);
  // A finished pull of the same image (a retry) has stored its outcome; join it first so
  // threads don't pile up.
  if (auto it = threads_.find(ref); it != threads_.end() && it->second.joinable()) {
    it->second.join();
  }
  outcomes_[ref] = Outcome{};
  threads_[ref] = std::thread([this, ref] { pull(ref); });
  return outcomes_[ref];
}

void ImagePuller::retry(const std::string& ref) {
  std::lock_guard lock(mu_);
  if (auto it = outcomes_.find(ref); it != outcomes_.end() && it->second.state == State::Failed) {
    outcomes_.erase(it);
  }
}

std::string ImagePuller::snapshotter() const {
  return images_.mode() == image::SnapshotMode::kOverlay ? "overlay" : "copy";
}

void ImagePuller::pull(const std::string& ref) {
  Outcome outcome{State::Ready, ""};
  try {
    spdlog::info("pulling image {}", ref);
    spdlog::info("pulled image {}", pull_with_helper(helper_, ref));
  } catch (const std::exception& e) {
    outcome = Outcome{State::Failed, e.what()};
    spdlog::warn("pull of {} failed: {}", ref, e.what());
  }
  {
    std::lock_guard lock(mu_);
    outcomes_[ref] = outcome;
  }
  if (on_done_) on_done_();
}

}  // namespace skiff::agent
