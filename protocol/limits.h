// skiff-protocol/1 constants: version, limits and timing (docs/protocol.md, "Timing").
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace skiff::protocol {

inline constexpr std::string_view kSubprotocol = "skiff-protocol/1";

inline constexpr std::size_t kMaxFrameBytes = 1 << 20;          // close 1009 above this
inline constexpr std::size_t kMaxHttpBodyBytes = 1 << 20;       // admin API bodies
inline constexpr std::size_t kMaxRegisterBodyBytes = 64 << 10;  // POST /v1/register
inline constexpr int kMaxErrorsPerConnection = 32;              // then close 1008

inline constexpr std::chrono::seconds kHeartbeatInterval{10};
inline constexpr std::chrono::seconds kIdleTimeout{30};  // 3 heartbeats
inline constexpr std::chrono::seconds kHandshakeTimeout{10};

inline constexpr std::chrono::milliseconds kBackoffStart{250};
inline constexpr double kBackoffFactor = 1.5;
inline constexpr double kBackoffJitter = 0.2;
inline constexpr std::chrono::milliseconds kBackoffCap{120'000};
// A connection that lasted this long resets the backoff attempt counter.
inline constexpr std::chrono::seconds kBackoffResetAfter{30};

// Delay before reconnect attempt `attempt` (0-based): 250 ms × 1.5^attempt, jittered by
// ±20 % with `rand01` in [0, 1), never above the cap.
std::chrono::milliseconds backoff_delay(unsigned attempt, double rand01);

}  // namespace skiff::protocol
