// Fuzz target: ECS task definitions, as the agent reads them from files, its local API and
// the control plane (parse_task_definition), then what the engine derives from a valid one:
// start order, bundle overrides and cgroup resources.
#include <cstddef>
#include <cstdint>

#include "agent/engine/overrides.h"
#include "taskdef/task_definition.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skiff::agent;  // the model (agent/engine/task_model.h) and the overrides
  try {
    TaskDefinition task = parse_task_definition(skiff::fuzz::as_text(data, size), "fuzz.json");
    (void)start_order(task);
    (void)task_resources(task);
    OverrideContext context;
    context.hostname = "fuzz";
    for (const auto& volume : task.volumes) context.volume_paths[volume.name] = "/fuzz/volume";
    for (const ContainerDefinition& container : task.containers) {
      (void)container_resources(container);
      (void)container_overrides(task, container, context);
    }
  } catch (const skiff::Error&) {
    // A rejected definition: fine, as long as it says so with skiff::Error.
  }
  return 0;
}
