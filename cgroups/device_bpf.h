// Loads a device program (device_program.h) and makes it the one Skiff program on a cgroup v2
// directory, through raw bpf(2): BPF_PROG_LOAD, BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI (so
// programs systemd put on parent cgroups still apply), BPF_PROG_QUERY and BPF_PROG_DETACH.
// The kernel keeps an attached program alive as long as the cgroup exists: nothing to pin.
#pragma once

#include <linux/bpf.h>

#include <filesystem>
#include <vector>

namespace skiff::cgroups {

// Replaces the device programs attached directly to `dir` with `program`. The new program is
// attached before the old ones are detached, so a request is never checked by nothing: in
// between, both must allow it. A program the kernel refuses throws a SysError naming
// bpf(BPF_PROG_LOAD), the errno, and the verifier's log.
void attach_device_program(const std::filesystem::path& dir, const std::vector<bpf_insn>& program);

// Ids of the device programs attached directly to `dir` (for tests and `state`).
std::vector<std::uint32_t> attached_device_programs(const std::filesystem::path& dir);

}  // namespace skiff::cgroups
