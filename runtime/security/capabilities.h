// Switching a container's init to the configured user and capability sets.
#pragma once

#include <optional>
#include <string>

#include "runtime/spec/spec.h"

namespace skiff::runtime::security {

// In this order:
//  1. umask(user.umask) when set;
//  2. with caps: drops every capability not in caps.bounding from the bounding set
//     (PR_CAPBSET_DROP; needs CAP_SETPCAP);
//  3. setgroups(additional_gids), setresgid(gid), setresuid(uid); with caps, PR_SET_KEEPCAPS
//     is on across the uid change so the permitted set survives it;
//  4. with caps: effective/permitted/inheritable become exactly caps (cap_set_proc), then the
//     ambient set becomes exactly caps.ambient (clear, then PR_CAP_AMBIENT_RAISE each).
// Without caps (nullopt) only the user switch happens, and the process keeps what the kernel
// leaves after setuid: everything for uid 0, nothing for any other uid.
//
// Capability numbers the running kernel does not know are ignored (a spec written for a
// newer kernel still runs). Inconsistent sets are refused before anything changes: effective
// must be within permitted, and ambient within permitted and inheritable.
// Needs CAP_SETPCAP, CAP_SETUID and CAP_SETGID; errors name the call and the capability.
// If seccomp is loaded before this (no no_new_privs; see seccomp_filter.h), the filter
// must allow umask, prctl, setgroups, setresgid, setresuid, capget and capset.
void apply_user_and_capabilities(const oci::User& user,
                                 const std::optional<oci::Capabilities>& caps);

// "CAP_CHOWN" for 0; "capability 99" for a number libcap does not name.
std::string capability_name(int cap);

}  // namespace skiff::runtime::security
