#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, for the end-to-end suite:
#   control-plane.sh up     etcd, kube-apiserver, kube-controller-manager, kube-scheduler
#   control-plane.sh down   stops them (scheduler, controller-manager, apiserver, etcd) and
#                           removes the pod network
#   control-plane.sh env    prints the variables the suite and the node agent read
#
# The binaries come from e2e/build-k8s.sh. Everything a run makes lives in $CAIRN_E2E_RUN
# (default ~/.cache/cairn-k8s/run): certificates, kubeconfigs, logs, pids, pod directories.
#
# Networking, and why: pods run in network namespaces on one bridge (POD_CIDR, the host is
# .0.1). The apiserver listens on the bridge address, so that pods reach it exactly as
# in-cluster clients do (KUBERNETES_SERVICE_HOST) and the host reaches it too. Nothing serves
# Service ClusterIPs here (there is no kube-proxy): the apiserver resolves webhook Services to
# endpoint addresses (--enable-aggregator-routing), pods resolve Service names to endpoint
# addresses through their hosts file, and SERVICE_CIDR is a blackhole route on the host and in
# every pod, so a mistake fails at once instead of sending traffic anywhere.
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CAIRN_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-k8s}
RUN=${CAIRN_E2E_RUN:-$CACHE/run}
BIN=$CACHE/bin
BRIDGE=cairne2e0
POD_CIDR=10.244.0.0/16
BRIDGE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
# Never route the apiserver's webhook calls (or anything else) through a proxy.
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy || true

say() { printf '[control-plane %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { say "$*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_until() { # wait_until SECONDS WHAT COMMAND... (polls every 0.2 s)
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${limit}s waiting for $what"
}

# --- certificates --------------------------------------------------------------------------
make_pki() {
  local p=$RUN/pki; mkdir -p "$p"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=cairn-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
  issue() { # issue NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$p/$1.key" -out "$p/$1.csr" 2>/dev/null
    printf '%b' "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n$3" > "$p/$1.ext"
    openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 7 \
      -extfile "$p/$1.ext" -out "$p/$1.crt" 2>/dev/null
    rm -f "$p/$1.csr" "$p/$1.ext"
  }
  issue apiserver "/CN=kube-apiserver" \
    "extendedKeyUsage=serverAuth\nsubjectAltName=IP:$BRIDGE_IP,IP:127.0.0.1,IP:${SERVICE_CIDR%.0/*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n"
  # system:masters is cluster-admin; the two components' names get their built-in RBAC roles.
  issue admin "/O=system:masters/CN=cairn-e2e-admin" "extendedKeyUsage=clientAuth\n"
  issue controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth\n"
  issue scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth\n"
  openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
  openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
}

kubeconfig() { # kubeconfig FILE CERT-NAME
  local k=$BIN/kubectl
  KUBECONFIG=$1 "$k" config set-cluster e2e --server="https://$BRIDGE_IP:$API_PORT" \
    --certificate-authority="$RUN/pki/ca.crt" --embed-certs >/dev/null
  KUBECONFIG=$1 "$k" config set-credentials "$2" --client-certificate="$RUN/pki/$2.crt" \
    --client-key="$RUN/pki/$2.key" --embed-certs >/dev/null
  KUBECONFIG=$1 "$k" config set-context e2e --cluster=e2e --user="$2" >/dev/null
  KUBECONFIG=$1 "$k" config use-context e2e >/dev/null
}

# --- processes -----------------------------------------------------------------------------
start() { # start NAME COMMAND...: runs in the background, log in logs/NAME.log, pid in pids/NAME
  local name=$1; shift
  "$@" >>"$RUN/logs/$name.log" 2>&1 &
  echo $! > "$RUN/pids/$name"
}

stop() { # stop NAME [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 20)
  local f=$RUN/pids/$1 pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for ((i = 0; i < ${2:-20} * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

network_up() {
  ip link add "$BRIDGE" type bridge
  ip addr add "$BRIDGE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  ip route add blackhole "$SERVICE_CIDR"
}

network_down() {
  ip route del blackhole "$SERVICE_CIDR" 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
}

up() {
  [ -x "$BIN/kube-apiserver" ] || die "no control-plane binaries in $BIN: run e2e/build-k8s.sh first"
  command -v etcd >/dev/null || die "etcd is needed (Debian: apt-get install etcd-server)"
  if [ -f "$RUN/env" ] && [ -f "$RUN/pids/kube-apiserver" ] && kill -0 "$(cat "$RUN/pids/kube-apiserver")" 2>/dev/null; then
    die "a control plane is already running from $RUN (control-plane.sh down stops it)"
  fi
  down >/dev/null 2>&1 || true
  rm -rf "$RUN"; mkdir -p "$RUN/logs" "$RUN/pids"
  ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
  CM_PORT=$(free_port); SCHED_PORT=$(free_port)
  make_pki
  network_up
  kubeconfig "$RUN/admin.kubeconfig" admin
  kubeconfig "$RUN/controller-manager.kubeconfig" controller-manager
  kubeconfig "$RUN/scheduler.kubeconfig" scheduler
  local p=$RUN/pki

  start etcd etcd --name e2e --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
  wait_until 30 "etcd" curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$BIN/kube-apiserver" \
    --bind-address="$BRIDGE_IP" --advertise-address="$BRIDGE_IP" --secure-port="$API_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" --client-ca-file="$p/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    --enable-aggregator-routing=true --shutdown-send-retry-after=true \
    --cert-dir="$RUN/apiserver-certs" --profiling=false --v=1
  wait_until 120 "kube-apiserver /readyz" curl -fsS --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
    "https://$BRIDGE_IP:$API_PORT/readyz"

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$RUN/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$RUN/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$RUN/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$CM_PORT" --cert-dir="$RUN/controller-manager-certs" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-name=cairn-e2e --v=1
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$RUN/scheduler.kubeconfig" \
    --authentication-kubeconfig="$RUN/scheduler.kubeconfig" --authorization-kubeconfig="$RUN/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false --v=1
  wait_until 60 "kube-controller-manager /healthz" curl -fsSk "https://127.0.0.1:$CM_PORT/healthz"
  wait_until 60 "kube-scheduler /readyz" curl -fsSk "https://127.0.0.1:$SCHED_PORT/readyz"

  cat > "$RUN/env" <<EOF
CAIRN_E2E_RUN=$RUN
KUBECONFIG=$RUN/admin.kubeconfig
K8S_BIN=$BIN
API_HOST=$BRIDGE_IP
API_PORT=$API_PORT
BRIDGE=$BRIDGE
BRIDGE_IP=$BRIDGE_IP
POD_CIDR=$POD_CIDR
SERVICE_CIDR=$SERVICE_CIDR
EOF
  say "up: apiserver https://$BRIDGE_IP:$API_PORT, kubeconfig $RUN/admin.kubeconfig"
}

down() {
  # Reverse order of start: an apiserver whose etcd is gone takes ~20 s to exit.
  for c in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$c"; done
  network_down
  rm -f "$RUN/env"
  say "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) cat "$RUN/env" ;;
  *) echo "usage: control-plane.sh up|down|env" >&2; exit 2 ;;
esac
