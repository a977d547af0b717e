#!/usr/bin/env bash
# Installs skiff-agent on this host and registers it with a control plane, like ECS
# Anywhere's install script:
#
#   scripts/install.sh --endpoint https://CP:8443 --ca ca.pem \
#       --activation-id a-... --activation-code ... [--attribute site=plant-3 ...]
#
# It copies the binaries from a build tree (--bin-dir, default build/release) to
# PREFIX/bin (/usr/local), the units (skiff-agent, skiff-tasks) to /etc/systemd/system,
# the control plane's CA to /etc/skiff/controlplane-ca.pem (the agent pins it), writes
# /etc/skiff/agent.conf (0600: it holds the activation code until the agent has
# registered), then enables and starts the service and waits for the registration. The spent activation is then removed from the
# configuration; the agent's token lives in /var/lib/skiff/agent/registration.json (0600).
#
# --root DIR installs into DIR instead of / and does not touch systemd (packaging, tests);
# --no-start writes everything but does not start the service.
set -euo pipefail
usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}
die() { echo "install.sh: $*" >&2; exit 1; }

src=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$src/build/release prefix=/usr/local root=/ start=1
endpoint= ca= activation_id= activation_code= attributes=
while [[ $# -gt 0 ]]; do
  case $1 in
    --endpoint) endpoint=${2:?}; shift 2 ;;
    --ca) ca=${2:?}; shift 2 ;;
    --activation-id) activation_id=${2:?}; shift 2 ;;
    --activation-code) activation_code=${2:?}; shift 2 ;;
    --attribute) attributes+=${attributes:+,}${2:?}; shift 2 ;;
    --bin-dir) bin_dir=${2:?}; shift 2 ;;
    --prefix) prefix=${2:?}; shift 2 ;;
    --root) root=${2:?}; start=0; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (--help)" ;;
  esac
done

[[ $(id -u) == 0 || $root != / ]] || die "run as root"
[[ $endpoint == https://* ]] || die "--endpoint: '$endpoint' is not an https:// URL (TLS is mandatory)"
[[ -r $ca ]] || die "--ca: '$ca' is not a readable file"
openssl x509 -noout -in "$ca" 2>/dev/null || die "--ca: '$ca' is not a PEM certificate"
[[ -n $activation_id && -n $activation_code ]] || die "--activation-id and --activation-code are required"
[[ $activation_id =~ ^[A-Za-z0-9._-]+$ ]] || die "--activation-id: unexpected characters"
[[ $activation_code =~ ^[A-Za-z0-9._-]+$ ]] || die "--activation-code: unexpected characters"
if [[ -n $attributes && ! $attributes =~ ^[A-Za-z0-9._:-]+=[^,=]*(,[A-Za-z0-9._:-]+=[^,=]*)*$ ]]; then
  die "--attribute: expected NAME=VALUE"
fi
declare -A binaries=(
  [skiff-agent]=agent/main/skiff-agent [skiff-shim]=agent/shim/skiff-shim
  [skiff-runtime]=runtime/skiff-runtime [skiffctl]=skiffctl/skiffctl
  [skiffctl-image]=skiffctl/skiffctl-image [skiffctl-cp]=skiffctl/skiffctl-cp)
for name in "${!binaries[@]}"; do
  [[ -x $bin_dir/${binaries[$name]} ]] || die "--bin-dir: $bin_dir/${binaries[$name]} missing (scripts/build.sh release)"
done

r=${root%/}
install -d -m 0755 "$r$prefix/bin" "$r/etc/skiff" "$r/etc/systemd/system"
for name in "${!binaries[@]}"; do
  install -m 0755 "$bin_dir/${binaries[$name]}" "$r$prefix/bin/$name"
done
install -m 0644 "$ca" "$r/etc/skiff/controlplane-ca.pem"
sed "s|/usr/local/bin/skiff-agent|$prefix/bin/skiff-agent|" "$src/systemd/skiff-agent.service" \
  >"$r/etc/systemd/system/skiff-agent.service"
chmod 0644 "$r/etc/systemd/system/skiff-agent.service"
install -m 0644 "$src/systemd/skiff-tasks.service" "$r/etc/systemd/system/skiff-tasks.service"

conf=$r/etc/skiff/agent.conf
umask 077
{
  echo "# Written by scripts/install.sh; keys: agent/main/agent_config.h"
  echo "SKIFF_ENDPOINT=$endpoint"
  echo "SKIFF_CA_FILE=/etc/skiff/controlplane-ca.pem"
  [[ -n $attributes ]] && echo "SKIFF_ATTRIBUTES=$attributes"
  echo "SKIFF_ACTIVATION_ID=$activation_id"
  echo "SKIFF_ACTIVATION_CODE=$activation_code"
} >"$conf.tmp"
chmod 0600 "$conf.tmp"
mv "$conf.tmp" "$conf"
echo "installed skiff-agent, skiff-shim, skiff-runtime, skiffctl (+ skiffctl-image, skiffctl-cp) to $r$prefix/bin; configuration $conf"

[[ $start == 1 ]] || exit 0
systemctl daemon-reload
systemctl enable --now skiff-agent
registration=/var/lib/skiff/agent/registration.json
for _ in $(seq 300); do
  [[ -s $registration ]] && break
  systemctl is-failed --quiet skiff-agent && break
  sleep 0.1
done
if [[ ! -s $registration ]]; then
  journalctl -u skiff-agent --no-pager -n 20 >&2 || true
  die "the agent did not register (see the journal above)"
fi
# The activation is spent; the token in $registration replaces it.
sed -i '/^SKIFF_ACTIVATION_/d' "$conf"
echo "registered as $(sed -n 's/.*"instanceId": *"\([^"]*\)".*/\1/p' "$registration"); service skiff-agent running"
