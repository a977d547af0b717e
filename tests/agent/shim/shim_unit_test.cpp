#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "agent/shim/file_log.h"
#include "agent/shim/line_pump.h"
#include "agent/shim/log_sink.h"
#include "agent/shim/shim_client.h"
#include "agent/shim/timestamp.h"
#include "common/error.h"
#include "common/proc_stat.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace skiff::agent;
using skiff::process_start_time;

namespace {

struct Record {
  LogStream stream;
  bool partial;
  std::string text;
  bool operator==(const Record&) const = default;
};

class RecordingSink : public LogSink {
 public:
  void write(LogStream s, bool partial, const char* d, std::size_t n) override {
    records.push_back({s, partial, std::string(d, n)});
  }
  std::vector<Record> records;
};
using skiff::test::TempDir;

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

}  // namespace

TEST(LinePump, CompleteLinesAreFullAndADrainedTailIsPartial) {
  RecordingSink sink;
  LinePump pump(LogStream::err);
  std::string chunk = "one\ntwo\n\nthr";
  pump.feed(chunk.data(), chunk.size(), true, sink);
  std::vector<Record> want = {{LogStream::err, false, "one"},
                              {LogStream::err, false, "two"},
                              {LogStream::err, false, ""},
                              {LogStream::err, true, "thr"}};
  EXPECT_EQ(sink.records, want);
}

TEST(LinePump, ATailWaitsForTheRestWhileMoreIsQueued) {
  RecordingSink sink;
  LinePump pump(LogStream::out);
  pump.feed("thr", 3, false, sink);
  EXPECT_TRUE(sink.records.empty());
  pump.feed("ee\nfo", 5, true, sink);
  std::vector<Record> want = {{LogStream::out, false, "three"}, {LogStream::out, true, "fo"}};
  EXPECT_EQ(sink.records, want);
}

TEST(LinePump, LinesLongerThanTheBufferBecomePartialsThenFull) {
  RecordingSink sink;
  LinePump pump(LogStream::out);
  std::string line(20000, 'a');
  line += '\n';
  pump.feed(line.data(), line.size(), false, sink);
  ASSERT_EQ(sink.records.size(), 3u);
  EXPECT_TRUE(sink.records[0].partial);
  EXPECT_TRUE(sink.records[1].partial);
  EXPECT_FALSE(sink.records[2].partial);
  std::string joined;
  for (const auto& r : sink.records) {
    EXPECT_LE(r.text.size(), kChunkSize);
    joined += r.text;
  }
  EXPECT_EQ(joined, std::string(20000, 'a'));
}

TEST(LinePump, ABurstFromAPipeIsNotSplitAtReadBoundaries) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  std::string line(5000, 'x');
  line += '\n';
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::write(p[1], line.data(), line.size()), 5001);
  RecordingSink sink;
  LinePump pump(LogStream::out);
  EXPECT_EQ(pump.pump(p[0], sink), LinePump::Result::more);
  ASSERT_EQ(sink.records.size(), 3u);
  for (const auto& r : sink.records) {
    EXPECT_FALSE(r.partial);
    EXPECT_EQ(r.text.size(), 5000u);
  }
  ASSERT_EQ(::write(p[1], "end", 3), 3);
  ::close(p[1]);
  EXPECT_EQ(pump.pump(p[0], sink), LinePump::Result::more);  // the pipe is empty: written
  ASSERT_EQ(sink.records.size(), 4u);
  EXPECT_EQ(sink.records[3], (Record{LogStream::out, true, "end"}));
  EXPECT_EQ(pump.pump(p[0], sink), LinePump::Result::eof);
  EXPECT_EQ(sink.records.size(), 4u);
  ::close(p[0]);
}

TEST(Timestamp, Rfc3339WithNanoseconds) {
  char buf[kTimestampSize];
  timespec ts{1795560301, 123456789};  // 2026-11-24T22:45:01Z
  ASSERT_EQ(format_rfc3339_nano(ts, buf), 30u);
  EXPECT_STREQ(buf, "2026-11-24T22:45:01.123456789Z");
  ts.tv_nsec = 5;
  format_rfc3339_nano(ts, buf);
  EXPECT_STREQ(buf, "2026-11-24T22:45:01.000000005Z");
}

TEST(ProcStat, OwnStartTimeIsStableAndMissingPidIsNullopt) {
  auto a = process_start_time(::getpid());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a, process_start_time(::getpid()));
  EXPECT_FALSE(process_start_time(0x3ffffff).has_value());  // above pid_max's ceiling
}

TEST(FileLog, WritesCriLines) {
  TempDir d;
  {
    FileLog log((d.path() / "c.log").string(), 1 << 20, 3);
    log.write(LogStream::out, false, "hello world", 11);
    log.write(LogStream::err, true, "part", 4);
  }
  auto lines = lines_of(d.path() / "c.log");
  ASSERT_EQ(lines.size(), 2u);
  std::regex re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, re)) << lines[0];
  EXPECT_EQ(m[1], "stdout");
  EXPECT_EQ(m[2], "F");
  EXPECT_EQ(m[3], "hello world");
  ASSERT_TRUE(std::regex_match(lines[1], m, re)) << lines[1];
  EXPECT_EQ(m[1], "stderr");
  EXPECT_EQ(m[2], "P");
  EXPECT_EQ(m[3], "part");
}

TEST(FileLog, RotatesAtTheSizeCapAndKeepsMaxFiles) {
  TempDir d;
  fs::path file = d.path() / "c.log";
  const unsigned long long cap = 1000;
  {
    FileLog log(file.string(), cap, 3);
    for (int i = 0; i < 200; ++i) {
      std::string text = "line " + std::to_string(i);
      log.write(LogStream::out, false, text.data(), text.size());
    }
  }
  for (const char* name : {"c.log", "c.log.1", "c.log.2"}) {
    ASSERT_TRUE(fs::exists(d.path() / name)) << name;
    EXPECT_LE(fs::file_size(d.path() / name), cap) << name;
    EXPECT_GT(fs::file_size(d.path() / name), cap / 2) << name;
  }
  EXPECT_FALSE(fs::exists(d.path() / "c.log.3"));
  auto current = lines_of(file);
  ASSERT_FALSE(current.empty());
  EXPECT_NE(current.back().find(" stdout F line 199"), std::string::npos);
  // The generations are in order: .2 is older than .1, which is older than the current.
  auto older = lines_of(d.path() / "c.log.1");
  ASSERT_FALSE(older.empty());
  auto number = [](const std::string& l) { return std::stoi(l.substr(l.rfind(' ') + 1)); };
  EXPECT_EQ(number(older.back()) + 1, number(current.front()));
}

TEST(FileLog, OneFileMeansTruncateInPlace) {
  TempDir d;
  fs::path file = d.path() / "c.log";
  {
    FileLog log(file.string(), 200, 1);
    for (int i = 0; i < 50; ++i) log.write(LogStream::out, false, "0123456789", 10);
  }
  EXPECT_LE(fs::file_size(file), 200u);
  EXPECT_FALSE(fs::exists(d.path() / "c.log.1"));
}

TEST(FileLog, UnopenableFileNamesIt) {
  try {
    FileLog log("/nonexistent-dir/c.log", 100, 2);
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/c.log"), std::string::npos);
  }
}

TEST(LogSinkFactory, UnknownDriverIsNamed) {
  LogOptions o;
  o.driver = "syslog";
  try {
    make_log_sink(o);
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("syslog"), std::string::npos);
  }
}

TEST(ReadState, AbsentFilesAreNullopt) {
  TempDir d;
  EXPECT_FALSE(read_exit_status(d.path()).has_value());
  EXPECT_FALSE(read_shim_info(d.path()).has_value());
}

TEST(ReadState, ParsesWhatTheShimWrites) {
  TempDir d;
  write(d.path() / "exit.json",
        R"({"pid":42,"exitCode":137,"signal":9,"exitedAt":"2026-11-24T22:45:01.000000001Z"})");
  auto e = read_exit_status(d.path());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->exit_code, 137);
  EXPECT_EQ(e->signal, 9);
  EXPECT_EQ(e->pid, 42);
  EXPECT_EQ(e->exited_at, "2026-11-24T22:45:01.000000001Z");
  write(d.path() / "state.json", R"({"id":"c1","shimPid":10,"shimStartTime":5,"containerPid":11,)"
                                 R"("containerStartTime":6,"startedAt":"x"})");
  auto s = read_shim_info(d.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->shim_pid, 10);
  EXPECT_EQ(s->container_pid, 11);
  EXPECT_EQ(s->shim_start_time, 5u);
  EXPECT_EQ(s->id, "c1");
}

TEST(ReadState, MalformedFilesNameTheFileAndField) {
  TempDir d;
  write(d.path() / "exit.json", "{not json");
  try {
    read_exit_status(d.path());
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("exit.json"), std::string::npos) << e.what();
  }
  write(d.path() / "state.json", R"({"shimPid":"ten","containerPid":1})");
  try {
    read_shim_info(d.path());
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("shimPid"), std::string::npos) << e.what();
  }
}

TEST(ShimAlive, SameProcessYesReusedPidNo) {
  ShimInfo me{::getpid(), ::getpid()};
  me.shim_start_time = process_start_time(::getpid()).value();
  EXPECT_TRUE(shim_alive(me));
  me.shim_start_time += 1;  // same pid, another process
  EXPECT_FALSE(shim_alive(me));
  ShimInfo gone{0x3ffffff, 1};
  EXPECT_FALSE(shim_alive(gone));
}

TEST(LaunchShim, MissingBinaryIsNamedAndLeavesNoStateDir) {
  TempDir d;
  ShimConfig c;
  c.id = "c1";
  c.state_dir = d.path() / "state";
  c.shim_binary = d.path() / "no-such-shim";
  try {
    launch_shim(c);
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-shim"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(c.state_dir));
}

TEST(LaunchShim, TheShimRefusesABadIdBeforeAnythingStarts) {
  TempDir d;
  ShimConfig c;
  c.id = "../escape";
  c.bundle = d.path();
  c.state_dir = d.path() / "state";
  c.runtime = "/bin/false";
  c.log_path = d.path() / "c.log";
  c.shim_binary = SKIFF_SHIM;
  try {
    launch_shim(c);
    FAIL() << "no error";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--id '../escape'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(c.state_dir));
  EXPECT_FALSE(fs::exists(c.log_path));
}
