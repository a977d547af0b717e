// The compiled device program against the rule semantics it implements. A small interpreter
// runs the instructions the compiler emits; the real verifier and kernel run the same
// programs in the VM (integration_test.cpp, the runtime's black-box suite).
#include "cgroups/device_program.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <set>

#include "common/error.h"

namespace skiff::cgroups {
namespace {

std::uint32_t access_bits(const std::string& access) {
  std::uint32_t bits = 0;
  for (char c : access) {
    bits |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

// Runs `prog` on one request; records which instructions ran. Fails the test on any
// instruction the compiler is not meant to emit, or on running off the end.
std::uint64_t run(const std::vector<bpf_insn>& prog, const DeviceRequest& req,
                  std::set<std::size_t>* visited = nullptr) {
  bpf_cgroup_dev_ctx ctx{};
  ctx.access_type = (access_bits(req.access) << 16) |
                    (req.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx.major = req.major;
  ctx.minor = req.minor;
  std::uint64_t reg[11] = {};
  bool r1_is_ctx = true;
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    if (visited) visited->insert(pc);
    const bpf_insn& i = prog[pc];
    const auto imm = static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm));
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        EXPECT_TRUE(r1_is_ctx && i.src_reg == 1) << "load not from the context at " << pc;
        std::uint32_t v = 0;
        std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, sizeof v);
        reg[i.dst_reg] = v;
        break;
      }
      case BPF_ALU64 | BPF_MOV | BPF_X:
        reg[i.dst_reg] = reg[i.src_reg];
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = imm;
        break;
      case BPF_ALU64 | BPF_AND | BPF_K:
        reg[i.dst_reg] &= imm;
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        reg[i.dst_reg] >>= i.imm;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[i.dst_reg] != imm) pc += static_cast<std::size_t>(i.off);
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (reg[i.dst_reg] == imm) pc += static_cast<std::size_t>(i.off);
        break;
      case BPF_JMP | BPF_EXIT:
        return reg[0];
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code) << " at " << pc;
        return 99;
    }
    if (i.dst_reg == 1 && BPF_CLASS(i.code) != BPF_JMP) r1_is_ctx = false;
  }
  ADD_FAILURE() << "ran off the end of the program";
  return 99;
}

// runc's default list, as runtime/device_rules.cpp builds it for a plain config.
const std::vector<DeviceRule> kDefault = {
    {false, 'a', -1, -1, "rwm"}, {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},
    {true, 'c', 1, 3, "rwm"},    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},
    {true, 'c', 1, 8, "rwm"},    {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},
    {true, 'c', 5, 1, "rwm"},    {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
};

TEST(DeviceProgram, DefaultListAllowsTheStandardNodesAndNothingElse) {
  const auto prog = compile_device_program(kDefault);
  struct Case {
    DeviceRequest req;
    bool allowed;
  } cases[] = {
      {{'c', 1, 3, "rw"}, true},     // /dev/null
      {{'c', 136, 7, "rw"}, true},   // /dev/pts/7
      {{'c', 4, 64, "m"}, true},     // mknod is allowed; opening is what counts
      {{'c', 4, 64, "w"}, false},    // ttyS0: the serial console
      {{'c', 1, 1, "r"}, false},     // /dev/mem
      {{'b', 8, 0, "r"}, false},     // /dev/sda
      {{'b', 254, 0, "rw"}, false},  // a virtio disk
      {{'b', 8, 0, "m"}, true},     {{'c', 10, 200, "rw"}, false},  // /dev/net/tun
  };
  for (const auto& c : cases) {
    const auto& r = c.req;
    SCOPED_TRACE(std::string(1, r.type) + " " + std::to_string(r.major) + ":" +
                 std::to_string(r.minor) + " " + r.access);
    EXPECT_EQ(device_rules_allow(kDefault, r), c.allowed);
    EXPECT_EQ(run(prog, r), c.allowed ? 1u : 0u);
  }
}

TEST(DeviceProgram, LaterRulesWinAndPartialAccessNeedsEveryBit) {
  const std::vector<DeviceRule> rules = {
      {true, 'a', -1, -1, "rwm"},  // privileged-style allow all
      {false, 'c', 1, 3, "w"},     // ...but no writes to /dev/null
      {true, 'c', 1, 5, "r"},      // redundant read grant
  };
  const auto prog = compile_device_program(rules);
  EXPECT_EQ(run(prog, {'c', 1, 3, "r"}), 1u);
  EXPECT_EQ(run(prog, {'c', 1, 3, "w"}), 0u);
  EXPECT_EQ(run(prog, {'c', 1, 3, "rw"}), 0u);  // a deny rule naming any requested bit
  EXPECT_EQ(run(prog, {'b', 8, 0, "rw"}), 1u);

  const std::vector<DeviceRule> read_only = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 5, "r"}};
  const auto ro = compile_device_program(read_only);
  EXPECT_EQ(run(ro, {'c', 1, 5, "r"}), 1u);
  EXPECT_EQ(run(ro, {'c', 1, 5, "rw"}), 0u);  // an allow rule must grant every bit
}

TEST(DeviceProgram, AnEmptyListDeniesEverything) {
  const auto prog = compile_device_program({});
  EXPECT_EQ(run(prog, {'c', 1, 3, "r"}), 0u);
  EXPECT_EQ(prog.size(), 8u);  // six loads and shifts, then deny
}

TEST(DeviceProgram, NothingAfterARuleThatMatchesEverything) {
  // Reached from the back, "deny all" ends the program: the verifier refuses dead code.
  const auto prog = compile_device_program(kDefault);
  std::set<std::size_t> visited;
  for (char type : {'c', 'b'}) {
    for (std::uint32_t major : {1u, 4u, 5u, 136u, 254u}) {
      for (std::uint32_t minor : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 9u}) {
        for (const char* access : {"r", "w", "m", "rw", "rwm"}) {
          run(prog, {type, major, minor, access}, &visited);
        }
      }
    }
  }
  EXPECT_EQ(visited.size(), prog.size()) << "unreachable instructions in the program";
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
}

TEST(DeviceProgram, MatchesTheRuleSemanticsOnRandomLists) {
  std::mt19937 rng(12);  // fixed seed: a failure reproduces
  const char types[] = {'a', 'c', 'b'};
  const char* accesses[] = {"r", "w", "m", "rw", "rm", "wm", "rwm"};
  for (int round = 0; round < 400; ++round) {
    std::vector<DeviceRule> rules;
    const int n = static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) {
      rules.push_back({rng() % 2 == 0, types[rng() % 3],
                       rng() % 3 == 0 ? -1 : static_cast<std::int64_t>(rng() % 3),
                       rng() % 3 == 0 ? -1 : static_cast<std::int64_t>(rng() % 3),
                       accesses[rng() % 7]});
    }
    const auto prog = compile_device_program(rules);
    for (int q = 0; q < 40; ++q) {
      DeviceRequest r{rng() % 2 == 0 ? 'c' : 'b', static_cast<std::uint32_t>(rng() % 3),
                      static_cast<std::uint32_t>(rng() % 3), accesses[rng() % 7]};
      ASSERT_EQ(run(prog, r), device_rules_allow(rules, r) ? 1u : 0u)
          << "round " << round << " request " << r.type << " " << r.major << ":" << r.minor << " "
          << r.access;
    }
  }
}

TEST(DeviceProgram, RejectsRulesItCannotExpress) {
  try {
    compile_device_program({{true, 'x', 1, 3, "rwm"}});
    FAIL() << "type x accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "device rule \"x 1:3 rwm\": type must be a, c or b");
  }
  try {
    compile_device_program({{true, 'c', 1, 3, "rq"}});
    FAIL() << "access q accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "device rule \"c 1:3 rq\": access must be letters of \"rwm\"");
  }
}

}  // namespace
}  // namespace skiff::cgroups
