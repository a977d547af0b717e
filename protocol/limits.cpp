#include "protocol/limits.h"

#include <algorithm>
#include <cmath>

namespace skiff::protocol {

std::chrono::milliseconds backoff_delay(unsigned attempt, double rand01) {
  const double cap = static_cast<double>(kBackoffCap.count());
  // Past ~30 attempts the power overflows any useful range; the cap applies anyway.
  const double base = std::min(cap, static_cast<double>(kBackoffStart.count()) *
                                        std::pow(kBackoffFactor, std::min(attempt, 64U)));
  const double r = std::clamp(rand01, 0.0, 1.0);
  const double jittered = base * (1.0 + kBackoffJitter * (2.0 * r - 1.0));
  return std::chrono::milliseconds(static_cast<long long>(std::min(cap, jittered)));
}

}  // namespace skiff::protocol
