#include "agent/engine/image_helper.h"

#include <nlohmann/json.hpp>

#include "agent/engine/command.h"
#include "common/error.h"

namespace skiff::agent {

namespace {

// skiffctl reports failures on stderr as "skiffctl: <message>"; keep the message.
std::string helper_message(const std::string& output) {
  std::string out = output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::size_t line = out.rfind('\n');
  std::string last = line == std::string::npos ? out : out.substr(line + 1);
  constexpr std::string_view kPrefix = "skiffctl: ";
  if (last.rfind(kPrefix, 0) == 0) last.erase(0, kPrefix.size());
  return last;
}

CommandResult run_helper(const ImageHelperConfig& c, std::vector<std::string> args,
                         std::chrono::milliseconds timeout, const std::string& what) {
  std::vector<std::string> argv = {c.skiffctl.string(), "--root", c.store_root.string(), "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, timeout);
  if (r.timed_out) {
    throw Error(what + ": " + c.skiffctl.string() + " did not finish within " +
                std::to_string(timeout.count() / 1000) + " s");
  }
  if (!r.ok()) {
    std::string msg = helper_message(r.output);
    if (msg.empty()) msg = c.skiffctl.string() + " exited with " + std::to_string(r.exit_code());
    throw Error(what + ": " + msg);
  }
  return r;
}

}  // namespace

std::string pull_with_helper(const ImageHelperConfig& c, const std::string& ref) {
  std::vector<std::string> args = {"image", "pull", "--unpack"};
  if (!c.pull.platform.empty()) args.insert(args.end(), {"--platform", c.pull.platform});
  if (!c.pull.auth_file.empty()) args.insert(args.end(), {"--authfile", c.pull.auth_file.string()});
  if (!c.pull.ca_file.empty()) args.insert(args.end(), {"--ca", c.pull.ca_file.string()});
  for (const std::string& host : c.pull.insecure_registries) {
    args.insert(args.end(), {"--insecure", host});
  }
  args.push_back("--");
  args.push_back(ref);
  CommandResult r = run_helper(c, args, c.pull_timeout, "pull " + ref);
  auto j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return ref;
  return j.value("reference", ref) + " " + j.value("manifest", "") + " (" +
         std::to_string(j.value("blobsDownloaded", 0)) + " blobs downloaded, " +
         std::to_string(j.value("blobsCached", 0)) + " cached, " +
         std::to_string(j.value("layersUnpacked", 0)) + " layers unpacked)";
}

void HelperUnpacker::make_snapshots(const image::ContentStore&, const image::ResolvedImage& image,
                                    const std::vector<image::LayerRef>& missing) {
  run_helper(config_, {"image", "unpack", "--", image.name}, config_.unpack_timeout,
             "unpack " + image.name + " (" + std::to_string(missing.size()) + " layers)");
}

void HelperUnpacker::apply_layers(const image::ContentStore&, const image::ResolvedImage& image,
                                  const std::vector<image::LayerRef>&,
                                  const std::filesystem::path& rootfs) {
  run_helper(config_, {"image", "unpack", "--into", rootfs.string(), "--", image.name},
             config_.unpack_timeout, "unpack " + image.name + " into " + rootfs.string());
}

}  // namespace skiff::agent
