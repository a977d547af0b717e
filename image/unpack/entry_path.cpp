#include "image/unpack/entry_path.h"

#include "common/error.h"

namespace skiff::image {

namespace {
constexpr std::string_view kWhPrefix = ".wh.";
constexpr std::string_view kMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
}  // namespace

std::string normalize_entry_path(std::string_view name) {
  if (name.empty()) throw Error("empty entry name");
  if (name.front() == '/') throw Error("absolute path not allowed in a layer");
  std::string out;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view comp = name.substr(pos, end - pos);
    if (comp == "..") throw Error("path escapes the layer (\"..\")");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out += comp;
    }
    pos = end + 1;
  }
  return out;
}

std::string parent_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string basename_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

Whiteout classify_whiteout(const std::string& rel) {
  std::string base = basename_of(rel);
  if (base.rfind(kWhPrefix, 0) != 0) return {};
  Whiteout w;
  w.dir = parent_of(rel);
  if (base == kOpaque) {
    w.kind = Whiteout::Kind::opaque;
  } else if (base.rfind(kMetaPrefix, 0) == 0) {
    w.kind = Whiteout::Kind::other_meta;
  } else {
    w.kind = Whiteout::Kind::file;
    w.name = base.substr(kWhPrefix.size());
    // ".wh..." passes the ".." component check yet would hide the parent directory.
    if (w.name.empty() || w.name == "." || w.name == "..")
      throw Error("whiteout names no valid entry");
  }
  return w;
}

}  // namespace skiff::image
