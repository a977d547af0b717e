// Streaming replies (chunked transfer encoding): container logs and the event feed.
// Each runs on its connection's own thread and ends when the client goes away, the server
// stops, or (logs) the task stops.
#pragma once

#include <atomic>
#include <chrono>

#include "agent/api/agent_service.h"
#include "agent/api/api_routes.h"
#include "agent/api/unix_stream.h"

namespace skiff::agent {

struct StreamContext {
  UnixStream& stream;
  AgentService& service;
  const std::atomic<bool>& stopping;
  std::chrono::milliseconds poll_interval;    // how often a follow looks for new data
  std::chrono::milliseconds status_interval;  // how often a log follow asks if the task stopped
  std::chrono::milliseconds write_timeout;    // a client that stops reading is dropped
};

// Both write the whole response (or an error reply if nothing was sent yet).
void stream_logs(const StreamContext& ctx, const LogStreamPlan& plan);
void stream_events(const StreamContext& ctx, const EventStreamPlan& plan);

// Writes a complete JSON reply; false if the client is gone.
bool write_reply(UnixStream& stream, const ApiReply& reply, bool keep_alive,
                 std::chrono::milliseconds timeout);

}  // namespace skiff::agent
