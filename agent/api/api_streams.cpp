#include "agent/api/api_streams.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "common/error.h"

namespace skiff::agent {

namespace http = boost::beast::http;
namespace asio = boost::asio;

namespace {

class ChunkWriter {
 public:
  ChunkWriter(const StreamContext& ctx, const char* content_type) : ctx_(ctx) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(false);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    ctx_.stream.expires_after(ctx_.write_timeout);
    http::write_header(ctx_.stream, sr, ec_);
  }

  bool ok() const { return !ec_; }

  // Writes what was buffered as one chunk.
  bool flush() {
    if (ec_ || buffer_.empty()) return !ec_;
    ctx_.stream.expires_after(ctx_.write_timeout);
    asio::write(ctx_.stream, http::make_chunk(asio::buffer(buffer_)), ec_);
    buffer_.clear();
    return !ec_;
  }
  void append(std::string_view s) {
    buffer_.append(s);
    if (buffer_.size() >= 64 * 1024) flush();
  }
  void finish() {
    if (!flush()) return;
    ctx_.stream.expires_after(ctx_.write_timeout);
    asio::write(ctx_.stream, http::make_chunk_last(), ec_);
  }

 private:
  const StreamContext& ctx_;
  boost::system::error_code ec_;
  std::string buffer_;
};

bool should_end(const StreamContext& ctx) {
  return ctx.stopping.load() || ctx.stream.peer_gone();
}

bool task_stopped(AgentService& service, const std::string& task_id) {
  try {
    nlohmann::json view = service.describe_task(task_id);
    return view.value("knownStatus", "") == "STOPPED";
  } catch (const NotFound&) {
    return true;
  }
}

}  // namespace

bool write_reply(UnixStream& stream, const ApiReply& reply, bool keep_alive,
                 std::chrono::milliseconds timeout) {
  http::response<http::string_body> res{reply.status, 11};
  res.set(http::field::content_type, "application/json");
  if (!reply.allow.empty()) res.set(http::field::allow, reply.allow);
  res.keep_alive(keep_alive);
  res.body() = reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.body() += '\n';
  res.prepare_payload();
  boost::system::error_code ec;
  stream.expires_after(timeout);
  http::write(stream, res, ec);
  return !ec;
}

void stream_logs(const StreamContext& ctx, const LogStreamPlan& plan) {
  LogReader reader(plan.source.path, plan.options);
  bool exists = !rotated_files(plan.source.path).empty();
  if (!exists && !plan.follow) {
    write_reply(
        ctx.stream,
        error_reply(http::status::not_found, "container " + plan.container + " has no log yet (" +
                                                 plan.source.path.native() + ")"),
        false, ctx.write_timeout);
    return;
  }
  ChunkWriter out(ctx, "text/plain; charset=utf-8");
  auto sink = [&](std::string_view line) { out.append(line); };
  try {
    if (exists) reader.read_existing(sink);
    if (!out.flush()) return;
    auto next_status = std::chrono::steady_clock::now();
    while (plan.follow && !should_end(ctx)) {
      reader.poll(sink);
      if (!out.flush()) return;
      if (std::chrono::steady_clock::now() >= next_status) {
        if (task_stopped(ctx.service, plan.task_id)) {
          reader.poll(sink);  // what the last moments wrote
          break;
        }
        next_status = std::chrono::steady_clock::now() + ctx.status_interval;
      }
      std::this_thread::sleep_for(ctx.poll_interval);
    }
  } catch (const std::exception& e) {
    // Headers are gone already: end the text with the reason rather than a silent cut.
    out.append(std::string("skiff-agent: log stream failed: ") + e.what() + "\n");
  }
  out.finish();
}

void stream_events(const StreamContext& ctx, const EventStreamPlan& plan) {
  ChunkWriter out(ctx, "application/x-ndjson");
  std::uint64_t last = plan.since;
  try {
    for (;;) {
      auto wait = plan.follow ? ctx.poll_interval : std::chrono::milliseconds(0);
      for (const Event& e : ctx.service.events_since(last, wait)) {
        nlohmann::json line = e.body.is_object() ? e.body : nlohmann::json{{"body", e.body}};
        line["seq"] = e.seq;
        out.append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        last = std::max(last, e.seq);
      }
      if (!out.flush() || !plan.follow || should_end(ctx)) break;
    }
  } catch (const std::exception& e) {
    out.append(nlohmann::json{{"error", e.what()}}.dump() + "\n");
  }
  out.finish();
}

}  // namespace skiff::agent
