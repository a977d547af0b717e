// Task-level cpu and memory as ECS writes them: plain numbers of units/MiB, or "1 vCPU",
// "0.5 vCPU", "1 GB", "2GB".
#include <cctype>
#include <cmath>
#include <string>

#include "taskdef/json_reader.h"
#include "taskdef/task_definition.h"

namespace skiff::taskdef {
namespace {

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "0.5 vCPU" -> number 0.5, unit "vcpu". Only plain decimals: no signs, exponents or hex.
bool split_number(const std::string& text, double& number, std::string& unit, bool& integral) {
  std::size_t i = 0;
  std::size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  integral = true;
  if (i < text.size() && text[i] == '.') {
    integral = false;
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  if (digits == 0 || i > 15) return false;  // 15 digits keeps the double exact
  number = std::stod(text.substr(0, i));
  unit = lower(trim(text.substr(i)));
  return true;
}

struct Quantity {
  double number = 0;
  std::string unit;  // lower case, "" for a plain number
  bool integral = true;
};

Quantity quantity(const std::string& text, const std::string& field, const char* example) {
  Quantity q;
  if (!split_number(text, q.number, q.unit, q.integral)) {
    detail::fail(field, "expected a number or a string such as " + std::string(example) +
                            ", got \"" + text + "\"");
  }
  return q;
}

// number * factor, which must come out whole.
std::uint64_t whole(const Quantity& q, double factor, const std::string& text,
                    const std::string& field) {
  const double value = q.number * factor;
  if (value != std::floor(value)) {
    detail::fail(field, "\"" + text + "\" is not a whole number of units");
  }
  return static_cast<std::uint64_t>(value);
}

[[noreturn]] void bad_unit(const Quantity& q, const std::string& text, const std::string& field,
                           const char* example) {
  detail::fail(field,
               "unknown unit \"" + q.unit + "\" in \"" + text + "\" (use e.g. " + example + ")");
}

}  // namespace

std::uint32_t parse_task_cpu(std::string_view text, const std::string& field) {
  const std::string t = trim(text);
  const char* example = "\"256\" or \"0.5 vCPU\"";
  const Quantity q = quantity(t, field, example);
  std::uint64_t units = 0;
  if (q.unit.empty()) {
    units = whole(q, 1, t, field);
  } else if (q.unit == "vcpu") {
    units = whole(q, 1024, t, field);
  } else {
    bad_unit(q, t, field, example);
  }
  if (units < 128 || units > 196608) {
    detail::fail(field,
                 "must be 128..196608 units (0.125..192 vCPU), got " + std::to_string(units));
  }
  return static_cast<std::uint32_t>(units);
}

std::uint64_t parse_task_memory(std::string_view text, const std::string& field) {
  const std::string t = trim(text);
  const char* example = "\"512\" or \"1 GB\"";
  const Quantity q = quantity(t, field, example);
  std::uint64_t mib = 0;
  // ECS writes "GB" for GiB; "MiB", "MB" and "GiB" are accepted as meaning the same.
  if (q.unit.empty() || q.unit == "mb" || q.unit == "mib") {
    mib = whole(q, 1, t, field);
  } else if (q.unit == "gb" || q.unit == "gib") {
    mib = whole(q, 1024, t, field);
  } else {
    bad_unit(q, t, field, example);
  }
  if (mib < 6 || mib > (std::uint64_t{1} << 30)) {
    detail::fail(field, "must be 6..1073741824 MiB, got " + std::to_string(mib));
  }
  return mib;
}

}  // namespace skiff::taskdef
