// Fuzz target: ECS environmentFiles (NAME=VALUE lines) as the agent reads them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "taskdef/task_definition.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto vars = skiff::taskdef::parse_env_file(skiff::fuzz::as_text(data, size), "fuzz.env");
    // Every variable the parser accepts has a name and came from the input.
    for (const auto& var : vars) {
      if (var.name.empty() || var.name.size() + var.value.size() > size) std::abort();
    }
  } catch (const skiff::Error&) {
  }
  return 0;
}
