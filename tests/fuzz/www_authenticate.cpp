// Fuzz target: WWW-Authenticate challenges from a registry's 401 (parse_challenges is
// documented never to throw, so any exception is a finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image/registry/challenge.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::image;
  auto challenges = parse_challenges(skiff::fuzz::as_text(data, size));
  for (const Challenge& c : challenges) {
    // The token request the puller would build from a bearer challenge.
    std::string query =
        "service=" + url_encode(c.param("service")) + "&scope=" + url_encode(c.param("scope"));
    (void)base64_encode(c.param("realm") + ":" + query);
    for (char ch : c.scheme) {
      if (ch >= 'A' && ch <= 'Z') std::abort();  // documented as lower case
    }
  }
  return 0;
}
