// RFC 3339 timestamps with nanoseconds in UTC ("2026-11-24T22:45:01.123456789Z"), the form
// CRI log lines and exit.json use. No allocation: the shim formats one per log line.
#pragma once

#include <time.h>

#include <cstddef>

namespace skiff::agent {

inline constexpr std::size_t kTimestampSize = 31;  // 30 characters + NUL

// Writes into `out` (at least kTimestampSize bytes); returns the length (30).
std::size_t format_rfc3339_nano(const timespec& ts, char* out);
// The current CLOCK_REALTIME, formatted.
std::size_t now_rfc3339_nano(char* out);

}  // namespace skiff::agent
