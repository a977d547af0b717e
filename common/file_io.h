// Whole-file reads and writes with errors that name the file. Written for kernel
// interface files (cgroupfs, procfs): no O_CREAT, one write() per value, since cgroupfs
// treats each write as one command.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace skiff {

std::string read_file(const std::filesystem::path& path);
// Writes `value` with a single write(2) to an existing file, truncating it.
void write_file(const std::filesystem::path& path, std::string_view value);
// Reads an unsigned integer; "max" reads as UINT64_MAX.
std::uint64_t read_u64(const std::filesystem::path& path);
// Parses "key value" lines (memory.events, cpu.stat, memory.oom_control).
std::map<std::string, std::uint64_t> read_flat_keyed(const std::filesystem::path& path);
std::string trim(std::string_view s);

}  // namespace skiff
