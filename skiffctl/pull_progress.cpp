#include "skiffctl/pull_progress.h"

#include <fmt/format.h>

#include "skiffctl/output.h"

namespace skiff::ctl {

namespace {

using Phase = image::LayerProgress::Phase;

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Waiting:
      return "waiting";
    case Phase::Downloading:
      return "downloading";
    case Phase::Retrying:
      return "retrying";
    case Phase::Done:
      return "done";
    case Phase::Cached:
      return "already present";
  }
  return "?";
}

std::string short_digest(const std::string& d) {
  auto colon = d.find(':');
  std::string hex = colon == std::string::npos ? d : d.substr(colon + 1);
  return hex.substr(0, 12);
}

}  // namespace

std::string PullProgress::line(const image::LayerProgress& p) const {
  std::string head = fmt::format("{}: {}", short_digest(p.digest), phase_name(p.phase));
  if (p.phase == Phase::Downloading && tty_ && p.total > 0) {
    constexpr int kWidth = 30;
    int fill =
        static_cast<int>(static_cast<double>(p.done) / static_cast<double>(p.total) * kWidth);
    fill = std::min(std::max(fill, 0), kWidth);
    return fmt::format("{} [{}{}] {}/{}", head, std::string(static_cast<std::size_t>(fill), '='),
                       std::string(static_cast<std::size_t>(kWidth - fill), ' '),
                       human_size(p.done), human_size(p.total));
  }
  if (p.phase == Phase::Retrying && !p.message.empty()) return head + " (" + p.message + ")";
  if (p.phase == Phase::Done || p.phase == Phase::Cached) {
    return p.total > 0 ? fmt::format("{} {}", head, human_size(p.total)) : head;
  }
  return head;
}

void PullProgress::redraw() {
  if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_);
  for (const Row& r : rows_) std::fprintf(out_, "\x1b[2K%s\n", line(r.last).c_str());
  drawn_ = rows_.size();
  std::fflush(out_);
}

void PullProgress::update(const image::LayerProgress& p) {
  std::lock_guard<std::mutex> hold(mu_);
  Row* row = nullptr;
  for (Row& r : rows_) {
    if (r.digest == p.digest) row = &r;
  }
  bool changed_phase = row == nullptr || row->last.phase != p.phase;
  if (row == nullptr) {
    rows_.push_back({p.digest, p});
    row = &rows_.back();
  }
  row->last = p;
  if (tty_) {
    redraw();
  } else if (changed_phase) {
    std::fprintf(out_, "%s\n", line(p).c_str());
    std::fflush(out_);
  }
}

}  // namespace skiff::ctl
