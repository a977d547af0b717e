#include "tests/controlplane/doc_frames.h"

#include <fstream>
#include <stdexcept>

namespace skiff::test {

std::multimap<std::string, std::string> doc_json_blocks(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::multimap<std::string, std::string> out;
  std::string line, tag, body;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.rfind("```json ", 0) == 0) {
      tag = line.substr(8);
      if (tag.rfind("frame=", 0) == 0) tag = tag.substr(6);
      inside = true;
      body.clear();
    } else if (inside && line.rfind("```", 0) == 0) {
      out.emplace(tag, body);
      inside = false;
    } else if (inside) {
      body += line + "\n";
    }
  }
  return out;
}

}  // namespace skiff::test
