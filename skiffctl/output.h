// Human output helpers: aligned tables and byte sizes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace skiff::ctl {

// Columns padded to their widest cell, two spaces apart.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
// 1536 -> "1.5 KiB"
std::string human_size(std::uint64_t bytes);

}  // namespace skiff::ctl
