// skiffctl: the command line for Skiff. The agent commands run here; the image and
// control-plane families run in their helper programs (skiffctl/app.h says why).
#include <string>
#include <utility>
#include <vector>

#include "skiffctl/app.h"
#include "skiffctl/forward.h"
#include "skiffctl/task_commands.h"

int main(int argc, char** argv) {
  const std::vector<std::pair<std::string, std::string>> forwarded = {
      {"image", "Manage images in the local store"},
      {"cp", "Drive a control plane's admin API (--endpoint, --ca)"}};
  skiff::ctl::GlobalOptions g;
  CLI::App app{skiff::ctl::kDescription};
  skiff::ctl::add_global_options(app, g);
  skiff::ctl::add_task_commands(app, g);
  std::vector<std::string> families;
  for (const auto& [name, description] : forwarded) {
    skiff::ctl::add_forwarded_family(app, name, description, argv);
    families.push_back(name);
  }
  std::vector<std::string> args = skiff::ctl::cut_exec_command(app, argc, argv);
  std::vector<char*> cut;
  for (auto& a : args) cut.push_back(a.data());
  cut.push_back(nullptr);
  return skiff::ctl::run_app(app, static_cast<int>(args.size()), cut.data(), families);
}
