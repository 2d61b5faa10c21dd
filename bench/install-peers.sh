#!/usr/bin/env bash
# Installs what the benchmark compares Cairn with, from Debian's packages: etcd (etcd-server,
# etcd-client) and ZooKeeper (zookeeper). Needs root (or sudo). The servers are not started
# here: bin/cairn-bench starts its own three members of each on loopback.
set -euo pipefail
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  sudo="sudo"
fi
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
[[ -f /usr/share/java/zookeeper.jar ]] || missing+=(zookeeper)
if ((${#missing[@]} == 0)); then
  echo "etcd and ZooKeeper are installed"
  exit 0
fi
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
