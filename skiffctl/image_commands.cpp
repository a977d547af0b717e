// `skiffctl image ...` over the image service (image/service/images.h).
#include "skiffctl/image_commands.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "image/service/images.h"
#include "skiffctl/output.h"
#include "skiffctl/pull_progress.h"

namespace skiff::ctl {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string short_id(const image::Digest& d) {
  return d.hex().substr(0, 12);
}

std::string mode_name(image::SnapshotMode m) {
  return m == image::SnapshotMode::kOverlay ? "overlay" : "copy";
}

void print_json(const json& j) {
  std::cout << j.dump(2) << '\n';
}

struct PullArgs {
  std::string ref, platform, authfile, ca;
  std::vector<std::string> insecure;
  bool unpack = false;
};

struct UnpackArgs {
  std::string ref, into;
};

struct BundleArgs {
  std::string ref, dir, id, user, workdir, hostname, entrypoint;
  std::vector<std::string> env, cap_add, cap_drop, command;
  bool read_only = false;
  std::optional<std::int64_t> memory;
};

void pull(const GlobalOptions& g, const PullArgs& a) {
  image::Images images(g.root);
  image::PullOptions opts;
  opts.platform = a.platform;
  opts.auth_file = a.authfile;
  opts.ca_file = a.ca;
  opts.insecure_registries = a.insecure;
  std::unique_ptr<PullProgress> progress;
  if (!g.json) {
    progress = std::make_unique<PullProgress>(stdout, ::isatty(1) == 1);
    opts.progress = [p = progress.get()](const image::LayerProgress& lp) { p->update(lp); };
  }
  image::PullResult r = images.pull(a.ref, opts);
  std::size_t unpacked = a.unpack ? images.unpack(r.manifest.digest.str()) : 0;
  if (g.json) {
    json out = {{"reference", r.reference},
                {"digest", r.top.digest.str()},
                {"manifest", r.manifest.digest.str()},
                {"id", r.parsed.config.digest.str()},
                {"blobsDownloaded", r.blobs_downloaded},
                {"blobsCached", r.blobs_cached},
                {"bytesDownloaded", r.bytes_downloaded}};
    if (a.unpack) out["layersUnpacked"] = unpacked;
    print_json(out);
  } else {
    std::cout << r.reference << ": " << r.top.digest.str() << " (" << r.blobs_downloaded
              << " downloaded, " << r.blobs_cached << " already present, "
              << human_size(r.bytes_downloaded);
    if (a.unpack) std::cout << ", " << unpacked << " layers unpacked";
    std::cout << ")\n";
  }
}

void unpack(const GlobalOptions& g, const UnpackArgs& a) {
  std::optional<fs::path> into;
  if (!a.into.empty()) into = a.into;
  std::size_t n = image::Images(g.root).unpack(a.ref, into);
  if (g.json) {
    json out = {{"image", a.ref}, {"layersUnpacked", n}};
    if (into) out["into"] = into->string();
    print_json(out);
  } else if (into) {
    std::cout << "unpacked " << n << " layers of " << a.ref << " into " << into->string() << '\n';
  } else {
    std::cout << "unpacked " << n << " layers of " << a.ref << '\n';
  }
}

void import(const GlobalOptions& g, const std::string& path) {
  image::Images images(g.root);
  std::vector<image::ImageRecord> recs = images.import(path);
  if (g.json) {
    json out = json::array();
    for (const auto& r : recs) out.push_back({{"name", r.name}, {"manifest", r.manifest.str()}});
    print_json(out);
    return;
  }
  for (const auto& r : recs)
    std::cout << "imported " << r.name << " (" << r.manifest.str() << ")\n";
}

void bundle(const GlobalOptions& g, const BundleArgs& a) {
  image::Images images(g.root);
  image::BundleOverrides o;
  o.user = a.user;
  o.working_dir = a.workdir;
  if (!a.hostname.empty()) o.hostname = a.hostname;
  o.env = a.env;
  o.cap_add = a.cap_add;
  o.cap_drop = a.cap_drop;
  o.readonly_rootfs = a.read_only;
  o.memory_limit = a.memory;
  if (!a.entrypoint.empty()) o.entrypoint = std::vector<std::string>{a.entrypoint};
  if (!a.command.empty()) o.command = a.command;
  std::string id = a.id;
  if (id.empty()) id = fs::absolute(a.dir).lexically_normal().filename().string();
  image::BundleInfo info = images.create_bundle(a.ref, a.dir, o, id);
  if (g.json) {
    print_json({{"id", info.id},
                {"bundle", info.dir.string()},
                {"mode", mode_name(info.mode)},
                {"manifest", info.manifest.str()},
                {"layersUnpacked", info.layers_unpacked}});
  } else {
    std::cout << "bundle " << info.id << " at " << info.dir.string() << " (" << mode_name(info.mode)
              << ", " << info.layers_unpacked << " layers unpacked)\n";
  }
}

void list(const GlobalOptions& g) {
  image::Images images(g.root);
  std::vector<image::ImageSummary> all = images.list();
  if (g.json) {
    json out = json::array();
    for (const auto& s : all) {
      out.push_back({{"name", s.name},
                     {"id", s.config.str()},
                     {"manifest", s.manifest.str()},
                     {"size", s.size},
                     {"created", s.created},
                     {"containers", s.containers}});
    }
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : all) {
    bool untagged = image::Digest::problem(s.name).empty();
    rows.push_back({untagged ? "<none>" : s.name, short_id(s.config), human_size(s.size), s.created,
                    std::to_string(s.containers)});
  }
  print_table(std::cout, {"NAME", "IMAGE ID", "SIZE", "CREATED", "CONTAINERS"}, rows);
}

void bundles(const GlobalOptions& g) {
  image::Images images(g.root);
  std::vector<image::Lease> all = images.bundles();
  if (g.json) {
    json out = json::array();
    for (const auto& l : all) {
      out.push_back({{"id", l.id},
                     {"bundle", l.bundle_dir.string()},
                     {"image", l.image},
                     {"manifest", l.manifest.str()},
                     {"mode", mode_name(l.mode)},
                     {"created", l.created}});
    }
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : all)
    rows.push_back({l.id, l.image, mode_name(l.mode), l.bundle_dir.string(), l.created});
  print_table(std::cout, {"ID", "IMAGE", "MODE", "BUNDLE", "CREATED"}, rows);
}

void prune(const GlobalOptions& g) {
  image::Images images(g.root);
  image::PruneReport r = images.prune();
  if (g.json) {
    json snaps = json::array();
    for (const auto& d : r.snapshots_removed) snaps.push_back(d.str());
    print_json({{"blobsRemoved", r.blobs_removed},
                {"bytesFreed", r.bytes_freed},
                {"snapshotsRemoved", snaps},
                {"staleDirsRemoved", r.stale_dirs_removed}});
    return;
  }
  std::cout << "removed " << r.blobs_removed << " blobs (" << human_size(r.bytes_freed) << "), "
            << r.snapshots_removed.size() << " unpacked layers, " << r.stale_dirs_removed
            << " stale directories\n";
}

}  // namespace

void add_image_commands(CLI::App& app, GlobalOptions& g) {
  CLI::App* img = app.add_subcommand("image", "Manage images in the local store");
  img->require_subcommand(1);
  img->fallthrough();

  auto pa = std::make_shared<PullArgs>();
  CLI::App* pull_cmd = img->add_subcommand("pull", "Pull an image from a registry");
  pull_cmd->add_option("--platform", pa->platform, "os/arch[/variant] (default: this host)");
  pull_cmd->add_option("--authfile", pa->authfile, "Docker-style auth file (config.json)");
  pull_cmd->add_option("--insecure", pa->insecure, "Registry host[:port] allowed over plain HTTP")
      ->allow_extra_args(false);
  pull_cmd->add_option("--ca", pa->ca, "Extra trusted CA certificate (PEM)");
  pull_cmd->add_flag("--unpack", pa->unpack, "Also unpack its layers into the layer cache");
  pull_cmd->add_option("REF", pa->ref, "Image reference")->required();
  pull_cmd->callback([&g, pa] { pull(g, *pa); });

  auto ua = std::make_shared<UnpackArgs>();
  CLI::App* unpack_cmd = img->add_subcommand(
      "unpack", "Unpack an image's layers into the layer cache, or flattened into DIR");
  unpack_cmd->add_option("--into", ua->into, "Apply the layers in order onto this empty directory");
  unpack_cmd->add_option("REF", ua->ref, "Image")->required();
  unpack_cmd->callback([&g, ua] { unpack(g, *ua); });

  auto path = std::make_shared<std::string>();
  CLI::App* import_cmd =
      img->add_subcommand("import", "Import a docker-archive or OCI archive (tar) or layout (dir)");
  import_cmd->add_option("PATH", *path, "Archive file or OCI layout directory")->required();
  import_cmd->callback([&g, path] { import(g, *path); });

  auto ex = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* export_cmd = img->add_subcommand("export", "Write an image as an OCI layout");
  export_cmd->add_option("REF", ex->first, "Image")->required();
  export_cmd->add_option("DIR", ex->second, "Layout directory (created)")->required();
  export_cmd->callback([&g, ex] {
    image::Images(g.root).export_layout(ex->first, ex->second);
    if (g.json) {
      print_json({{"image", ex->first}, {"layout", ex->second}});
    } else {
      std::cout << "exported " << ex->first << " to " << ex->second << '\n';
    }
  });

  auto ba = std::make_shared<BundleArgs>();
  CLI::App* bundle_cmd = img->add_subcommand(
      "bundle", "Create an OCI runtime bundle (rootfs + config.json) from an image");
  bundle_cmd->add_option("--id", ba->id, "Bundle id (default: DIR's name)");
  bundle_cmd->add_option("--user", ba->user, "user[:group], by name or id");
  bundle_cmd->add_option("--env,-e", ba->env, "NAME=value (repeatable)")->allow_extra_args(false);
  bundle_cmd->add_option("--workdir,-w", ba->workdir, "Working directory");
  bundle_cmd->add_option("--hostname", ba->hostname, "Hostname");
  bundle_cmd->add_option("--entrypoint", ba->entrypoint, "Replace the image's entrypoint");
  bundle_cmd->add_option("--cap-add", ba->cap_add, "Add a capability (repeatable)")
      ->allow_extra_args(false);
  bundle_cmd->add_option("--cap-drop", ba->cap_drop, "Drop a capability (repeatable)")
      ->allow_extra_args(false);
  bundle_cmd->add_option("--memory", ba->memory, "Memory limit in bytes");
  bundle_cmd->add_flag("--read-only", ba->read_only, "Read-only root filesystem");
  bundle_cmd->add_option("REF", ba->ref, "Image")->required();
  bundle_cmd->add_option("DIR", ba->dir, "Bundle directory (must not exist or be empty)")
      ->required();
  bundle_cmd->add_option("COMMAND", ba->command, "Replace the image's command (after --)");
  bundle_cmd->callback([&g, ba] { bundle(g, *ba); });

  auto rb = std::make_shared<std::string>();
  CLI::App* rmb_cmd =
      img->add_subcommand("rm-bundle", "Unmount and delete a bundle made by `image bundle`");
  rmb_cmd->add_option("DIR", *rb, "Bundle directory")->required();
  rmb_cmd->callback([&g, rb] {
    image::Images(g.root).remove_bundle(*rb);
    if (g.json) {
      print_json({{"removed", *rb}});
    } else {
      std::cout << "removed bundle " << *rb << '\n';
    }
  });

  img->add_subcommand("bundles", "List bundles (leases) made from images")->callback([&g] {
    bundles(g);
  });
  img->add_subcommand("ls", "List images")->alias("list")->callback([&g] { list(g); });

  auto ir = std::make_shared<std::string>();
  CLI::App* inspect_cmd =
      img->add_subcommand("inspect", "Show an image's manifest, config, layers");
  inspect_cmd->add_option("REF", *ir, "Image")->required();
  inspect_cmd->callback([&g, ir] {
    json j = image::Images(g.root).inspect(*ir);
    if (g.json) {
      print_json(j);
      return;
    }
    std::cout << "Name:      " << j["name"].get<std::string>() << '\n'
              << "ID:        " << j["id"].get<std::string>() << '\n'
              << "Manifest:  " << j["manifest"].get<std::string>() << '\n'
              << "Size:      " << human_size(j["size"].get<std::uint64_t>()) << '\n'
              << "Layers:\n";
    for (const auto& l : j["layers"]) {
      std::cout << "  " << l["digest"].get<std::string>() << "  "
                << human_size(l["size"].get<std::uint64_t>())
                << (l["unpacked"].get<bool>() ? "  unpacked" : "") << '\n';
    }
    std::cout << "Bundles:   " << j["bundles"].size() << '\n'
              << "Config:\n"
              << j["config"].value("config", json::object()).dump(2) << '\n';
  });

  auto ra = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* rm_cmd = img->add_subcommand("rm", "Remove an image name");
  rm_cmd->add_flag("--force,-f", ra->second,
                   "Remove the name even while bundles use the image (their layers stay)");
  rm_cmd->add_option("REF", ra->first, "Image")->required();
  rm_cmd->callback([&g, ra] {
    image::Images(g.root).remove(ra->first, ra->second);
    if (g.json) {
      print_json({{"removed", ra->first}});
    } else {
      std::cout << "removed " << ra->first << '\n';
    }
  });

  img->add_subcommand("prune", "Delete blobs and unpacked layers no image or bundle uses")
      ->callback([&g] { prune(g); });
  img->add_subcommand("gc", "Same as prune")->callback([&g] { prune(g); });
}

}  // namespace skiff::ctl
