// argv/envp arrays for execve from strings the caller keeps alive.
#pragma once

#include <string>
#include <vector>

namespace skiff {

inline std::vector<char*> c_argv(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace skiff
