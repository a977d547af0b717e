// Picking the platform's manifest when a name points at an index.
#pragma once

#include <string_view>

#include "image/store/content_store.h"
#include "image/store/oci_types.h"

namespace skiff::image {

// `target` itself if it is a manifest; else the entry of the index for `platform`
// ("os/arch[/variant]", empty = this host), chosen as the registry client chooses.
Descriptor choose_manifest(const ContentStore& store, const Descriptor& target,
                           std::string_view platform);

}  // namespace skiff::image
