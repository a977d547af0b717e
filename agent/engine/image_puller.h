// Makes images available without blocking the engine: each missing image is pulled once,
// by a helper process (image_helper.h) watched from a background thread, and the engine
// polls for the outcome. An image already in the store is
// used as is (edge hosts are often offline; the store is the source of truth).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/engine/image_helper.h"
#include "agent/engine/image_source.h"
#include "image/service/images.h"

namespace skiff::agent {

class ImagePuller final : public ImageSource {
 public:
  ImagePuller(image::Images& images, ImageHelperConfig helper);
  ~ImagePuller() override;  // joins running pulls
  ImagePuller(const ImagePuller&) = delete;
  ImagePuller& operator=(const ImagePuller&) = delete;

  // Starts a pull if needed; returns the current outcome. A failed image is retried when
  // asked again after `retry()`.
  Outcome request(const std::string& image) override;
  void retry(const std::string& image) override;
  // Sets a callback invoked (from the pull thread) when a pull finishes.
  void on_done(std::function<void()> callback) override { on_done_ = std::move(callback); }
  std::string snapshotter() const override;

 private:
  void pull(const std::string& image);

  image::Images& images_;
  ImageHelperConfig helper_;
  std::function<void()> on_done_;
  std::mutex mu_;
  std::map<std::string, Outcome> outcomes_;
  std::map<std::string, std::thread> threads_;  // by image; joined before a new pull
};

}  // namespace skiff::agent
