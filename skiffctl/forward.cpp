#include "skiffctl/forward.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>

#include "common/error.h"

namespace skiff::ctl {

namespace {

// The word naming the subcommand: options of `app` are skipped with their values; an
// unknown option or `--` ends the search (parse() will report it).
std::string subcommand_word(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") return {};
    if (word.size() < 2 || word[0] != '-') return std::string(word);
    std::string_view name = word.substr(0, word.find('='));
    CLI::Option* opt = app.get_option_no_throw(std::string(name));
    if (opt == nullptr) return {};
    bool value_attached = name.size() != word.size() || (name.size() > 2 && name[1] != '-');
    if (opt->get_items_expected_min() > 0 && !value_attached) ++i;
  }
  return {};
}

// The helper sits in the directory skiffctl was run from (build tree and install alike).
std::filesystem::path helper_path(const std::string& family) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw SysError("readlink", "/proc/self/exe", ec.value());
  return self.parent_path() / ("skiffctl-" + family);
}

[[noreturn]] void exec_helper(const std::string& family, char** argv) {
  auto path = helper_path(family);
  ::execv(path.c_str(), argv);
  throw SysError("exec", path.string() + " (skiffctl " + family + " runs there)", errno);
}

}  // namespace

void add_forwarded_family(CLI::App& app, const std::string& name, const std::string& description,
                          char** argv) {
  // Reached only when forward_family() did not recognise the command line; the helper
  // then parses it, and reports what is wrong with it.
  app.add_subcommand(name, description)->allow_extras()->callback([name, argv] {
    exec_helper(name, argv);
  });
}

void forward_family(CLI::App& app, const std::vector<std::string>& families, int argc,
                    char** argv) {
  std::string word = subcommand_word(app, argc, argv);
  if (std::find(families.begin(), families.end(), word) != families.end()) exec_helper(word, argv);
}

}  // namespace skiff::ctl
