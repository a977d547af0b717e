#include "agent/connection/outbox.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "agent/connection/desired_seqs.h"
#include "tests/support/temp_dir.h"

namespace skiff::agent {
namespace {
using skiff::test::TempDir;

protocol::StateChange change(const std::string& task, const std::string& status) {
  protocol::StateChange sc;
  sc.taskId = task;
  sc.knownStatus = status;
  if (status == "STOPPED") sc.stoppedReason = "Essential container in task exited";
  sc.containers.push_back({"app", status, std::nullopt, "", "UNKNOWN"});
  return sc;
}

TEST(Outbox, NumbersChangesAndKeepsThemAcrossARestartUntilAcked) {
  TempDir dir;
  {
    Outbox box(dir.path());
    EXPECT_EQ(box.push(change("t-1", "PENDING")).seq, 1U);
    EXPECT_EQ(box.push(change("t-1", "RUNNING")).seq, 2U);
    EXPECT_EQ(box.push(change("t-1", "STOPPED")).seq, 3U);
    box.ack_through(1);
    EXPECT_EQ(box.size(), 2U);
  }
  Outbox again(dir.path());
  auto pending = again.pending();
  ASSERT_EQ(pending.size(), 2U);
  EXPECT_EQ(pending[0].seq, 2U);
  EXPECT_EQ(pending[0].knownStatus, "RUNNING");
  EXPECT_EQ(pending[1].stoppedReason, "Essential container in task exited");
  EXPECT_FALSE(pending[1].at.empty());
  // Files are private: they name tasks and reasons.
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "00000000000000000003.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(Outbox, SeqKeepsGrowingWhenTheQueueWasEmptiedAndReopened) {
  TempDir dir;
  {
    Outbox box(dir.path());
    box.push(change("t-1", "RUNNING"));
    box.push(change("t-1", "STOPPED"));
    box.ack_through(2);
    EXPECT_EQ(box.size(), 0U);
  }
  Outbox again(dir.path());
  // The control plane ignores seqs it has seen, so a reset to 1 would lose this change.
  EXPECT_EQ(again.push(change("t-2", "RUNNING")).seq, 3U);
}

TEST(Outbox, AGarbageEntryIsDroppedAndTheRestSurvive) {
  TempDir dir;
  {
    Outbox box(dir.path());
    box.push(change("t-1", "RUNNING"));
    box.push(change("t-2", "RUNNING"));
  }
  std::ofstream(dir.path() / "00000000000000000001.json") << "{not json";
  Outbox again(dir.path());
  auto pending = again.pending();
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].taskId, "t-2");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "00000000000000000001.json"));
  EXPECT_EQ(again.push(change("t-3", "RUNNING")).seq, 3U);
}

TEST(Outbox, ACrashBetweenCounterAndDeleteReplaysInsteadOfLosing) {
  TempDir dir;
  {
    Outbox box(dir.path());
    box.push(change("t-1", "RUNNING"));
  }
  // last-seq says 1 but the entry is still there (acked, not yet deleted): replay is fine.
  std::ofstream(dir.path() / "last-seq") << "1\n";
  Outbox again(dir.path());
  EXPECT_EQ(again.size(), 1U);
  EXPECT_EQ(again.push(change("t-1", "STOPPED")).seq, 2U);
}

TEST(DesiredSeqs, OnlyNewerDecisionsApplyAndTheyPersist) {
  TempDir dir;
  const auto file = dir.path() / "desired.json";
  {
    DesiredSeqs seqs(file);
    EXPECT_TRUE(seqs.accept("t-1", 5));
    EXPECT_FALSE(seqs.accept("t-1", 5));  // a replay
    EXPECT_FALSE(seqs.accept("t-1", 4));  // a late payload
    EXPECT_TRUE(seqs.accept("t-1", 9));
    EXPECT_TRUE(seqs.accept("t-2", 1));
  }
  DesiredSeqs again(file);
  EXPECT_EQ(again.get("t-1"), 9U);
  EXPECT_FALSE(again.accept("t-1", 8));
  again.retain({"t-2"});
  EXPECT_FALSE(again.knows("t-1"));
  DesiredSeqs third(file);
  EXPECT_FALSE(third.knows("t-1"));
  EXPECT_EQ(third.get("t-2"), 1U);
}

TEST(DesiredSeqs, AGarbageFileStartsEmptyInsteadOfFailing) {
  TempDir dir;
  const auto file = dir.path() / "desired.json";
  std::ofstream(file) << "[1,2";
  DesiredSeqs seqs(file);
  EXPECT_FALSE(seqs.knows("t-1"));
  EXPECT_TRUE(seqs.accept("t-1", 1));
}

}  // namespace
}  // namespace skiff::agent
