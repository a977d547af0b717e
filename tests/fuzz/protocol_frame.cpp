// Fuzz target: skiff-protocol/1 frames, both directions (control plane -> agent: Payload,
// TaskManifest, StopTask, HeartbeatAck, Ack, Error; agent -> control plane: Hello,
// StateChange, Heartbeat, Metrics, Ack). One parser validates every type for both peers.
// An accepted frame must survive serialize -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/frames.h"
#include "protocol/json_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::protocol;
  Frame frame;
  try {
    frame = parse_frame(skiff::fuzz::as_text(data, size));
  } catch (const ProtocolError& e) {
    // Both peers answer a refused frame with an Error frame quoting the reason, so the
    // reason must serialize whatever bytes the input held.
    (void)serialize(Frame{0, ErrorFrame{e.code(), e.what(), 0}});
    return 0;
  }
  std::string once = serialize(frame);
  Frame again = parse_frame(once);  // throwing here is a finding: we wrote something we refuse
  if (serialize(again) != once) std::abort();
  return 0;
}
