#!/usr/bin/env bash
# agent_engine_tests on pure cgroup v2 (the test VM): the test image is built on the host
# first, where umoci runs at full speed, and shared through /tmp.
# Usage: in_vm.sh FIXTURES PROBE TEST_BINARY [GTEST ARGS...]
set -euo pipefail
fixtures=$1 probe=$2
shift 2
layout=$(mktemp -d /tmp/skiff-agent-vm-layout.XXXXXX)
trap 'rm -rf -- "$layout"' EXIT
"$fixtures/make-oci-layout.sh" "$layout/skiff-agent-test" "$probe" >/dev/null
export SKIFF_VM_TIMEOUT=900
here=$(cd "$(dirname "$0")" && pwd)
# run_in_vm.sh passes SKIFF_EXPECT_BACKEND=v2 and SKIFF_REQUIRE_ROOT=1; the layout goes via
# the environment of the job (scripts/vm/run.sh --env) through SKIFF_VM_EXTRA_ENV.
SKIFF_VM_EXTRA_ENV="SKIFF_TEST_LAYOUT=$layout/skiff-agent-test" "$here/../../run_in_vm.sh" "$@"
