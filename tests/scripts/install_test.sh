#!/usr/bin/env bash
# scripts/install.sh --root: what it writes (binaries, unit, pinned CA, a 0600 agent.conf
# holding the activation), and that bad arguments are refused with the argument named.
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d /tmp/skiff-install-test.XXXXXX)
trap 'rm -rf -- "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
install=("$src/scripts/install.sh" --bin-dir "$build" --root "$work/root")
"${install[@]}" --endpoint https://10.0.0.1:8443 --ca "$work/ca.pem" --activation-id a-123 \
  --activation-code c0ffee --attribute site=plant-3 --attribute tier=edge >/dev/null

for b in skiff-agent skiff-shim skiff-runtime skiffctl skiffctl-image skiffctl-cp; do
  [[ -x $work/root/usr/local/bin/$b ]] || fail "$b not installed"
done
# The installed skiffctl finds its installed helper: an image command runs.
"$work/root/usr/local/bin/skiffctl" --root "$work/images" --json image ls | jq -e 'length == 0' \
  >/dev/null || fail "installed skiffctl cannot run skiffctl-image"
"$work/root/usr/local/bin/skiff-agent" --version | grep -q skiff-agent || fail "agent does not run"
unit=$work/root/etc/systemd/system/skiff-agent.service
grep -q '^ExecStart=/usr/local/bin/skiff-agent --config /etc/skiff/agent.conf$' "$unit" ||
  fail "unit ExecStart"
grep -q '^Requires=skiff-tasks.service$' "$unit" || fail "unit does not require skiff-tasks"
grep -q '^Delegate=yes$' "$work/root/etc/systemd/system/skiff-tasks.service" ||
  fail "skiff-tasks.service missing or not delegated"
cmp -s "$work/ca.pem" "$work/root/etc/skiff/controlplane-ca.pem" || fail "CA not pinned"
conf=$work/root/etc/skiff/agent.conf
[[ $(stat -c %a "$conf") == 600 ]] || fail "agent.conf mode $(stat -c %a "$conf")"
for line in SKIFF_ENDPOINT=https://10.0.0.1:8443 SKIFF_CA_FILE=/etc/skiff/controlplane-ca.pem \
  SKIFF_ATTRIBUTES=site=plant-3,tier=edge SKIFF_ACTIVATION_ID=a-123 SKIFF_ACTIVATION_CODE=c0ffee; do
  grep -qx "$line" "$conf" || fail "agent.conf lacks $line"
done
# The agent reads what was written: an unreachable endpoint fails at registration, naming it.
out=$(SKIFF_STATE_DIR=$work/state SKIFF_RUN_DIR=$work/run SKIFF_LOG_DIR=$work/logs \
  SKIFF_CA_FILE=$work/ca.pem SKIFF_ENDPOINT=https://127.0.0.1:1 \
  "$work/root/usr/local/bin/skiff-agent" --config "$conf" --no-standalone 2>&1) &&
  fail "the agent registered with nothing listening"
grep -q "registration at https://127.0.0.1:1" <<<"$out" || fail "agent error: $out"
echo "ok: files, modes and configuration"

# refuse ARGUMENT-SUBSTRING ARGS...: install.sh must fail and name the argument.
refuse() {
  local want=$1 out
  shift
  if out=$("${install[@]}" "$@" 2>&1); then fail "accepted: $*"; fi
  grep -q -- "$want" <<<"$out" || fail "error for $* does not name $want: $out"
}
good=(--ca "$work/ca.pem" --activation-id a-1 --activation-code c)
refuse --endpoint --endpoint http://10.0.0.1:80 "${good[@]}"
refuse --ca --endpoint https://h:1 --ca "$work/missing.pem" --activation-id a --activation-code c
refuse --ca --endpoint https://h:1 --ca "$work/ca.key" --activation-id a --activation-code c
refuse --activation --endpoint https://h:1 --ca "$work/ca.pem"
refuse --activation-code --endpoint https://h:1 --ca "$work/ca.pem" --activation-id a \
  --activation-code 'x;rm -rf /'
refuse --attribute --endpoint https://h:1 "${good[@]}" --attribute novalue
refuse --bin-dir --endpoint https://h:1 "${good[@]}" --bin-dir "$work/nowhere"
echo "ok: bad arguments refused"
