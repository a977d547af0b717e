// `skiffctl image ...` and `skiffctl cp ...`: families that run in a helper program beside
// skiffctl (skiffctl-image, skiffctl-cp), which gets skiffctl's whole argv and so parses
// exactly what the user typed, global options included. skiffctl/app.h says why.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace skiff::ctl {

// Lists `name` in skiffctl's help. forward_family() does the forwarding, before parsing;
// should parsing still reach `name`, it forwards too. `argv` is main's.
void add_forwarded_family(CLI::App& app, const std::string& name, const std::string& description,
                          char** argv);

// When argv's subcommand (the first word that is neither an option of `app` nor its value)
// is one of `families`, execs skiffctl-<family> with argv and does not return. Returns
// otherwise, for app.parse(). Throws SysError naming the helper when it cannot be run.
void forward_family(CLI::App& app, const std::vector<std::string>& families, int argc, char** argv);

}  // namespace skiff::ctl
