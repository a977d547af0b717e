#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace skiff::agent::test {
using skiff::test::TempDir;

}  // namespace skiff::agent::test
