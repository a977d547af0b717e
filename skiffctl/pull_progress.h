// Progress display for `skiffctl image pull`: one redrawn bar per layer on a terminal,
// one plain line per phase change otherwise (logs, pipes).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "image/registry/pull.h"

namespace skiff::ctl {

class PullProgress {
 public:
  PullProgress(std::FILE* out, bool tty) : out_(out), tty_(tty) {}
  void update(const image::LayerProgress& p);

 private:
  struct Row {
    std::string digest;
    image::LayerProgress last;
  };
  std::string line(const image::LayerProgress& p) const;
  void redraw();

  std::FILE* out_;
  bool tty_;
  std::mutex mu_;
  std::vector<Row> rows_;
  std::size_t drawn_ = 0;  // rows on screen from the last redraw
};

}  // namespace skiff::ctl
