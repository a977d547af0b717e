// Hostile input: thousands of one-field mutations of a real definition either load or fail
// with skiff::Error naming a field; nothing else escapes and nothing crashes.
#include <gtest/gtest.h>

#include <random>

#include "tests/taskdef/taskdef_test_util.h"

namespace skiff::taskdef {
namespace {

using test::json;

void collect_pointers(const json& j, const json::json_pointer& at,
                      std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) collect_pointers(it.value(), at / it.key(), out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at / i, out);
  }
}

TEST(TaskDefHostile, MutationsOnlyEverThrowSkiffError) {
  const json base =
      json::parse(test::read_text(std::string(SKIFF_TASKDEF_FIXTURES) + "/describe-ec2.json"));
  std::vector<json::json_pointer> pointers;
  collect_pointers(base, json::json_pointer(), pointers);
  const std::vector<json> replacements = {nullptr,
                                          true,
                                          false,
                                          0,
                                          -1,
                                          1,
                                          65536,
                                          18446744073709551615ull,
                                          -9223372036854775807LL - 1,
                                          0.5,
                                          1e300,
                                          "",
                                          "x",
                                          "-1",
                                          "99999999999999999999m",
                                          "1e9 vCPU",
                                          "/",
                                          "..",
                                          "CMD",
                                          std::string(300, 'a'),
                                          json::array(),
                                          json::array({1}),
                                          json::array({"CMD-SHELL"}),
                                          json::object(),
                                          json::object({{"name", 1}})};
  std::mt19937 rng(20261124);
  int loaded = 0;
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    json doc = base;
    // One to three mutations, so later rules see odd values that passed earlier ones.
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const auto& ptr = pointers[rng() % pointers.size()];
      if (!doc.contains(ptr)) continue;
      if (rng() % 5 == 0 && !ptr.empty()) {
        json& parent = doc.at(ptr.parent_pointer());
        if (parent.is_object()) parent.erase(ptr.back());
        continue;
      }
      doc.at(ptr) = replacements[rng() % replacements.size()];
    }
    try {
      parse_task_definition(doc.dump(), "m.json");
      ++loaded;
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("m.json: ", 0), 0u) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-skiff exception: " << e.what() << "\n" << doc.dump();
      return;
    }
  }
  // Both outcomes happen, so the loop really exercises the parser.
  EXPECT_GT(loaded, 0);
  EXPECT_GT(refused, 0);
}

TEST(TaskDefHostile, TruncatedDocumentsReportPosition) {
  const std::string text =
      test::read_text(std::string(SKIFF_TASKDEF_FIXTURES) + "/describe-ec2.json");
  for (std::size_t len = 0; len < text.size(); len += 97) {
    try {
      parse_task_definition(text.substr(0, len), "cut.json");
      ADD_FAILURE() << "a truncated document loaded at " << len;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.json:", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace skiff::taskdef
