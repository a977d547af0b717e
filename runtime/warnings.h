// Where the runtime library's warnings go: a failing poststart or poststop hook, a kernel
// without kmem limits. The library never prints; the CLI passes a sink that writes to
// stderr and to its --log file, as runc does.
#pragma once

#include <functional>
#include <string>

namespace skiff::runtime {

using WarningSink = std::function<void(const std::string&)>;

}  // namespace skiff::runtime
