// skiffctl: the command line for Skiff. The agent commands run here; the image and
// control-plane families run in their helper programs (skiffctl/app.h says why).
#include <cstdio>
#include <exception>

#include "skiffctl/app.h"
#include "skiffctl/forward.h"
#include "skiffctl/task_commands.h"

int main(int argc, char** argv) {
  skiff::ctl::GlobalOptions g;
  CLI::App app{skiff::ctl::kDescription};
  skiff::ctl::add_global_options(app, g);
  skiff::ctl::add_forwarded_family(app, "image", "Manage images in the local store", argv);
  skiff::ctl::add_task_commands(app, g);
  skiff::ctl::add_forwarded_family(app, "cp",
                                   "Drive a control plane's admin API (--endpoint, --ca)", argv);
  try {
    skiff::ctl::forward_family(app, {"image", "cp"}, argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiffctl: %s\n", e.what());
    return 1;
  }
  return skiff::ctl::run_app(app, argc, argv);
}
