// The JSON examples in docs/protocol.md, by tag (`json frame=Payload` -> "Payload").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace skiff::test {

// Every fenced ```json block of `path` whose info string has `frame=TYPE`, by TYPE, plus
// the other tagged blocks (`json register-request` -> "register-request").
std::multimap<std::string, std::string> doc_json_blocks(const std::string& path);

}  // namespace skiff::test
