#include "cgroups/device_program.h"

#include <cstddef>
#include <string>

#include "common/error.h"

namespace skiff::cgroups {

namespace {

// Registers: r1 holds the context on entry and is scratch once the fields are loaded.
constexpr std::uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
// Access bits as struct bpf_cgroup_dev_ctx packs them in access_type's upper half.
constexpr std::int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(std::uint8_t dst, std::int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, R1, off, 0);
}
bpf_insn alu_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov_reg(std::uint8_t dst, std::uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// The offset is patched once the rule's block is complete.
bpf_insn jump_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

std::int32_t access_bits(const DeviceRule& rule) {
  std::int32_t bits = 0;
  for (char c : rule.access) {
    switch (c) {
      case 'r':
        bits |= BPF_DEVCG_ACC_READ;
        break;
      case 'w':
        bits |= BPF_DEVCG_ACC_WRITE;
        break;
      case 'm':
        bits |= BPF_DEVCG_ACC_MKNOD;
        break;
      default:
        throw Error("device rule \"" + rule.to_v1() + "\": access must be letters of \"rwm\"");
    }
  }
  return bits;
}

// 0 for 'a' (any type).
std::int32_t type_code(const DeviceRule& rule) {
  switch (rule.type) {
    case 'a':
      return 0;
    case 'c':
      return BPF_DEVCG_DEV_CHAR;
    case 'b':
      return BPF_DEVCG_DEV_BLOCK;
    default:
      throw Error("device rule \"" + rule.to_v1() + "\": type must be a, c or b");
  }
}

void check_number(const DeviceRule& rule, std::int64_t v) {
  if (v < -1 || v > 0x7fffffff) {
    throw Error("device rule \"" + rule.to_v1() + "\": device number out of range");
  }
}

bool access_matches(const DeviceRule& rule, std::int32_t rule_bits, std::int32_t requested) {
  return rule.allow ? (requested & ~rule_bits) == 0 : (requested & rule_bits) != 0;
}

}  // namespace

std::vector<bpf_insn> compile_device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> prog = {
      load_u32(R2, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov_reg(R3, R2),
      alu_imm(BPF_AND, R3, 0xffff),  // r3: device type
      alu_imm(BPF_RSH, R2, 16),      // r2: requested access
      load_u32(R4, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(R5, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  bool ended = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !ended; ++it) {
    const DeviceRule& rule = *it;
    const std::int32_t type = type_code(rule);
    const std::int32_t bits = access_bits(rule);
    check_number(rule, rule.major);
    check_number(rule, rule.minor);
    if (bits == 0) continue;  // grants or denies nothing

    std::vector<bpf_insn> block;
    if (type != 0) block.push_back(jump_imm(BPF_JNE, R3, type));
    if (rule.major >= 0)
      block.push_back(jump_imm(BPF_JNE, R4, static_cast<std::int32_t>(rule.major)));
    if (rule.minor >= 0)
      block.push_back(jump_imm(BPF_JNE, R5, static_cast<std::int32_t>(rule.minor)));
    // An allow rule must cover every requested bit; a deny rule must name one of them.
    if (rule.allow && bits != kAllAccess) {
      block.push_back(mov_reg(R1, R2));
      block.push_back(alu_imm(BPF_AND, R1, ~bits & kAllAccess));
      block.push_back(jump_imm(BPF_JNE, R1, 0));
    } else if (!rule.allow && bits != kAllAccess) {
      block.push_back(mov_reg(R1, R2));
      block.push_back(alu_imm(BPF_AND, R1, bits));
      block.push_back(jump_imm(BPF_JEQ, R1, 0));
    }
    ended = block.empty();  // matches every request: earlier rules are unreachable
    block.push_back(alu_imm(BPF_MOV, R0, rule.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT) {
        block[i].off = static_cast<std::int16_t>(block.size() - i - 1);  // to the next block
      }
    }
    prog.insert(prog.end(), block.begin(), block.end());
  }
  if (!ended) {
    prog.push_back(alu_imm(BPF_MOV, R0, 0));  // no rule matched: deny
    prog.push_back(exit_insn());
  }
  return prog;
}

bool device_rules_allow(const std::vector<DeviceRule>& rules, const DeviceRequest& request) {
  DeviceRule as_rule{true, request.type, 0, 0, request.access};
  const std::int32_t requested = access_bits(as_rule);
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const DeviceRule& rule = *it;
    if (rule.type != 'a' && rule.type != request.type) continue;
    if (rule.major >= 0 && rule.major != request.major) continue;
    if (rule.minor >= 0 && rule.minor != request.minor) continue;
    const std::int32_t bits = access_bits(rule);
    if (bits == 0) continue;
    if (access_matches(rule, bits, requested)) return rule.allow;
  }
  return false;
}

}  // namespace skiff::cgroups
