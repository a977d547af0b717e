// ControlPlaneClient's insides, shared by its two halves: the link
// (control_plane_client.cpp over protocol/tls/wss_link.h) and the task side (task_sync.cpp,
// reporter.cpp).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "agent/connection/control_plane_client.h"
#include "agent/connection/desired_seqs.h"
#include "agent/connection/outbox.h"
#include "agent/connection/task_reports.h"
#include "protocol/frames.h"
#include "protocol/tls/wss_link.h"

namespace skiff::agent {

namespace net = boost::asio;

struct ControlPlaneClient::Impl : std::enable_shared_from_this<ControlPlaneClient::Impl> {
  Impl(ControlPlaneOptions o, TaskEngine& e);

  ControlPlaneOptions options;
  TaskEngine& engine;
  Outbox outbox;
  DesiredSeqs desired;

  // --- io thread only
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  net::ssl::context tls{net::ssl::context::tls_client};
  std::unique_ptr<skiff::tls::WssLink> link;  // made on the io thread by start()
  bool open = false;
  bool stopped = false;
  std::uint64_t out_seq = 0;
  std::uint64_t in_seq = 0;
  int errors_sent = 0;
  std::uint64_t sent_through = 0;  // highest StateChange.seq sent on this connection
  std::map<std::uint64_t, std::uint64_t> state_by_frame;  // frame seq -> StateChange.seq
  std::thread io_thread;

  // --- shared, under mu
  mutable std::mutex mu;
  std::condition_variable cv;
  bool connected = false;
  int connects = 0;
  std::string last_error;
  bool reporter_stop = false;
  bool io_done = false;
  std::thread reporter_thread;

  // control_plane_client.cpp: the link (protocol/tls/wss_link.h carries the frames).
  void make_link();
  void on_open();
  void on_closed(const skiff::tls::WssClosed& c);
  void send(protocol::Body body);
  void send_error(const std::string& code, const std::string& message, std::uint64_t ref);
  void on_message(const std::string& text, bool binary);
  void shutdown();
  void set_status(bool up, const std::string& error);

  // task_sync.cpp: control plane -> engine.
  protocol::Hello hello();
  void handle_frame(const protocol::Frame& f);
  void apply_spec(const protocol::TaskSpec& spec, std::uint64_t frame_seq);
  void apply_manifest(const protocol::TaskManifest& m, std::uint64_t frame_seq);
  void apply_stop(const protocol::StopTask& s, std::uint64_t frame_seq);
  void stopped_without_engine(const std::string& task_id, const std::string& reason);
  // Queues a change durably and sends it if connected (any thread).
  void report(protocol::StateChange sc);
  void send_state(const protocol::StateChange& sc);  // io thread

  // reporter.cpp: engine -> control plane.
  void reporter_loop();
  std::map<std::string, TaskReport> reported;  // reporter thread only
  void scan(const std::vector<std::string>& task_ids);
  void send_metrics();
};

}  // namespace skiff::agent
