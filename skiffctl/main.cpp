// skiffctl: the command line for Skiff. Each command family lives in its own file and
// registers itself on the app; this file only holds the global options and error output.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "skiffctl/cp_commands.h"
#include "skiffctl/global_options.h"
#include "skiffctl/image_commands.h"
#include "skiffctl/task_commands.h"

int main(int argc, char** argv) {
  skiff::ctl::GlobalOptions g;
  CLI::App app{"skiffctl: manage Skiff images and containers, and drive a control plane"};
  app.fallthrough();
  app.require_subcommand(1);
  app.add_flag("--json", g.json, "Print JSON instead of tables");
  app.add_option("--root", g.root, "Image store root")->capture_default_str();
  // Control plane (cp ...). No flag for the admin token: only SKIFF_ADMIN_TOKEN or a file.
  app.add_option("--endpoint", g.endpoint, "Control plane admin API: https://HOST:PORT")
      ->envname("SKIFF_ENDPOINT");
  app.add_option("--ca", g.ca_file, "The control plane's CA (DATA/certs/ca.pem), pinned")
      ->envname("SKIFF_CA_FILE");
  app.add_option("--admin-token-file", g.admin_token_file,
                 "File holding the admin token (DATA/admin.token); else env SKIFF_ADMIN_TOKEN")
      ->envname("SKIFF_ADMIN_TOKEN_FILE");
  skiff::ctl::add_image_commands(app, g);
  skiff::ctl::add_task_commands(app, g);
  skiff::ctl::add_cp_commands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiffctl: %s\n", e.what());
    return 1;
  }
  return 0;
}
