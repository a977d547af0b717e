// Where the engine's images come from, as the engine sees it: ask for an image and be told
// it is ready, still coming, or failed. ImagePuller (image_puller.h) is the real one; a
// test's fake answers as it is told.
#pragma once

#include <functional>
#include <string>

namespace skiff::agent {

class ImageSource {
 public:
  enum class State { Pending, Ready, Failed };
  struct Outcome {
    State state = State::Pending;
    std::string error;  // Failed: why, for the container's CannotPullContainerError
  };

  virtual ~ImageSource() = default;

  // Starts making `image` available if needed; never blocks on a pull. A Failed outcome
  // sticks until retry().
  virtual Outcome request(const std::string& image) = 0;
  // Forgets a failure, so the next request() tries again.
  virtual void retry(const std::string& image) = 0;
  // Called (from any thread) when a pending image becomes Ready or Failed.
  virtual void on_done(std::function<void()> callback) = 0;
  // How the store lays out root filesystems ("overlay" or "copy"), for metadata().
  virtual std::string snapshotter() const = 0;
};

}  // namespace skiff::agent
