#include "protocol/register.h"

#include "protocol/json_reader.h"

namespace skiff::protocol {

RegisterRequest parse_register_request(const nlohmann::json& j) {
  try {
    const auto r = object_reader(j, "");
    RegisterRequest q;
    q.activationId = r.str("activationId");
    q.activationCode = r.str("activationCode");
    q.hostname = r.str("hostname");
    q.arch = r.str("arch");
    q.os = r.str("os");
    q.kernel = r.opt_str("kernel").value_or("");
    q.cgroupMode = r.opt_str("cgroupMode").value_or("");
    q.cpu = r.u64("cpu");
    q.memoryMiB = r.u64("memoryMiB");
    q.attributes = r.string_map("attributes");
    q.address = r.opt_str("address").value_or("");
    return q;
  } catch (const ProtocolError& e) {
    throw ProtocolError("bad_request", e.what());
  }
}

nlohmann::json to_json(const RegisterRequest& r) {
  nlohmann::json j = {{"activationId", r.activationId},
                      {"activationCode", r.activationCode},
                      {"hostname", r.hostname},
                      {"arch", r.arch},
                      {"os", r.os},
                      {"kernel", r.kernel},
                      {"cgroupMode", r.cgroupMode},
                      {"cpu", r.cpu},
                      {"memoryMiB", r.memoryMiB},
                      {"attributes", r.attributes}};
  if (!r.address.empty()) j["address"] = r.address;
  return j;
}

RegisterResponse parse_register_response(const nlohmann::json& j) {
  const auto r = object_reader(j, "");
  return RegisterResponse{r.str("instanceId"), r.opt_str("cluster").value_or(""), r.str("token")};
}

nlohmann::json to_json(const RegisterResponse& r) {
  return {{"instanceId", r.instanceId}, {"cluster", r.cluster}, {"token", r.token}};
}

}  // namespace skiff::protocol
