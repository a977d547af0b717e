#include "skiffctl/app.h"

#include <cstdio>
#include <exception>

#include "skiffctl/forward.h"

namespace skiff::ctl {

void add_global_options(CLI::App& app, GlobalOptions& g) {
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
}

int run_app(CLI::App& app, int argc, char** argv, const std::vector<std::string>& forwarded) {
  try {
    if (!forwarded.empty()) forward_family(app, forwarded, argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiffctl: %s\n", e.what());
    return 1;
  }
  return 0;
}

int run_commands(int argc, char** argv, void (*add)(CLI::App&, GlobalOptions&)) {
  GlobalOptions g;
  CLI::App app{kDescription};
  add_global_options(app, g);
  add(app, g);
  return run_app(app, argc, argv);
}

}  // namespace skiff::ctl
