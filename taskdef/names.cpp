// ECS spellings of the model's enums.
#include "taskdef/task_definition.h"

namespace skiff::taskdef {

std::string_view to_string(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::Start:
      return "START";
    case DependencyCondition::Complete:
      return "COMPLETE";
    case DependencyCondition::Success:
      return "SUCCESS";
    case DependencyCondition::Healthy:
      return "HEALTHY";
  }
  return "?";
}

std::string_view to_string(LogDriver driver) {
  switch (driver) {
    case LogDriver::JsonFile:
      return "json-file";
    case LogDriver::Local:
      return "local";
    case LogDriver::Journald:
      return "journald";
  }
  return "?";
}

std::string_view to_string(NetworkMode mode) {
  return mode == NetworkMode::Host ? "host" : "none";
}

std::string_view to_string(NamespaceMode mode) {
  switch (mode) {
    case NamespaceMode::Private:
      return "";
    case NamespaceMode::Host:
      return "host";
    case NamespaceMode::Task:
      return "task";
    case NamespaceMode::None:
      return "none";
  }
  return "?";
}

}  // namespace skiff::taskdef
