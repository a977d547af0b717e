#include "agent/api/log_reader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "tests/agent/api/temp_dir.h"

namespace skiff::agent::test {
namespace {

std::string collect(LogReader& r, bool existing) {
  std::string out;
  auto sink = [&](std::string_view s) { out.append(s); };
  if (existing) {
    r.read_existing(sink);
  } else {
    r.poll(sink);
  }
  return out;
}

TEST(CriLine, Parses) {
  auto e = parse_cri_line("2026-11-24T22:00:00.1Z stderr P hello world");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->time, "2026-11-24T22:00:00.1Z");
  EXPECT_EQ(e->stream, "stderr");
  EXPECT_TRUE(e->partial);
  EXPECT_EQ(e->text, "hello world");
  auto empty = parse_cri_line("T stdout F");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->text, "");
}

TEST(CriLine, RejectsMalformed) {
  for (const char* bad : {"", "T", "T stdout", "T stdin F x", "T stdout X x", " stdout F x"}) {
    EXPECT_FALSE(parse_cri_line(bad)) << bad;
  }
}

TEST(LogFormatter, JoinsPartialsPerStreamAndPassesMalformedThrough) {
  LogFormatter f(LogOptions{});
  std::string out;
  auto sink = [&](std::string_view s) { out.append(s); };
  f.feed("T stdout P ab", sink);
  f.feed("T stderr F e", sink);
  f.feed("T stdout F cd", sink);
  f.feed("garbage line", sink);
  EXPECT_EQ(out, "e\nabcd\ngarbage line\n");
}

TEST(RotatedFiles, OldestFirstAndStopsAtAGap) {
  TempDir dir;
  auto p = dir.path() / "c.log";
  for (auto s : {".1", ".2", ".4", ""}) std::ofstream(p.native() + s) << "";
  auto files = rotated_files(p);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], p.native() + ".2");
  EXPECT_EQ(files[1], p.native() + ".1");
  EXPECT_EQ(files[2], p);
}

TEST(LogReader, MissingLogIsAnError) {
  TempDir dir;
  LogReader r(dir.path() / "none.log", {});
  EXPECT_THROW(collect(r, true), Error);
}

TEST(LogReader, FollowsAppendsTruncationAndRotation) {
  TempDir dir;
  auto p = dir.path() / "c.log";
  std::ofstream(p) << "T stdout F a\nT stdout F b";  // "b" is not complete yet
  LogReader r(p, {});
  EXPECT_EQ(collect(r, true), "a\n");
  EXPECT_EQ(collect(r, false), "");
  std::ofstream(p, std::ios::app) << "\n";
  EXPECT_EQ(collect(r, false), "b\n");
  // Truncated in place.
  std::ofstream(p, std::ios::trunc) << "T stdout F c\n";
  EXPECT_EQ(collect(r, false), "c\n");
  // Rotated: a last line lands in the old file after the rename, then a new file appears.
  std::filesystem::rename(p, p.native() + ".1");
  std::ofstream(p.native() + ".1", std::ios::app) << "T stdout F d\n";
  EXPECT_EQ(collect(r, false), "d\n");
  std::ofstream(p) << "T stdout F e\n";
  EXPECT_EQ(collect(r, false), "e\n");
}

TEST(LogReader, FollowWaitsForAFileThatDoesNotExistYet) {
  TempDir dir;
  auto p = dir.path() / "c.log";
  LogReader r(p, {});
  EXPECT_EQ(collect(r, false), "");
  std::ofstream(p) << "T stdout F hello\n";
  EXPECT_EQ(collect(r, false), "hello\n");
}

TEST(LogReader, TailZeroAndTailLargerThanLog) {
  TempDir dir;
  auto p = dir.path() / "c.log";
  std::ofstream(p) << "T stdout F a\nT stdout F b\n";
  LogReader zero(p, LogOptions{"", false, 0});
  EXPECT_EQ(collect(zero, true), "");
  LogReader many(p, LogOptions{"", false, 100});
  EXPECT_EQ(collect(many, true), "a\nb\n");
}

TEST(LogReader, HugeLineWithoutNewlineIsCut) {
  TempDir dir;
  auto p = dir.path() / "c.log";
  std::ofstream(p) << "T stdout F " << std::string(3 * 1024 * 1024, 'x');
  LogReader r(p, {});
  std::string out = collect(r, true);
  EXPECT_GE(out.size(), 1024u * 1024u);
}

}  // namespace
}  // namespace skiff::agent::test
