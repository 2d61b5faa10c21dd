"""cairn e2e node agent: plays the kubelet for one or more Nodes of a real control plane,
running their pods as processes in network and mount namespaces (see runtime.py).

    python3 e2e/nodeagent --env RUN/env --repo CHECKOUT [--nodes N]

RUN/env is what control-plane.sh up writes. Stops on SIGTERM: every pod's processes are
killed and its network namespace removed (the pod objects stay, as on a node that died)."""
import argparse
import ipaddress
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dns  # noqa: E402
import node  # noqa: E402
import storage  # noqa: E402
from kube import ApiError, Kube, pod_path  # noqa: E402
from runtime import PodRunner, log  # noqa: E402


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                out[k] = v
    return out


class Agent:
    def __init__(self, env, repo, node_count):
        self.kube = Kube(env["KUBECONFIG"])
        self.run_dir = env["CAIRN_E2E_RUN"]
        self.repo = repo
        self.bridge, self.bridge_ip = env["BRIDGE"], env["BRIDGE_IP"]
        self.network = ipaddress.ip_network(env["POD_CIDR"])
        self.prefix = self.network.prefixlen
        self.service_cidr = env["SERVICE_CIDR"]
        self.api_host, self.api_port = env["API_HOST"], int(env["API_PORT"])
        self.nodes = [node.Node(self.kube, f"cairn-e2e-node-{i + 1}", self.bridge_ip) for i in range(node_count)]
        self.runners = {}   # pod uid -> PodRunner
        self.stopping = threading.Event()
        self._next_ip = int(self.network.network_address) + 256  # .1.0 on: .0.x is the host's

    def allocate(self):
        used = {r.address for r in self.runners.values() if not r.done.is_set()}
        while True:
            self._next_ip += 1
            if self._next_ip >= int(self.network.broadcast_address):
                self._next_ip = int(self.network.network_address) + 257
            ip = str(ipaddress.ip_address(self._next_ip))
            if ip not in used and not ip.endswith(".0") and not ip.endswith(".255"):
                return ip

    def run(self):
        for n in self.nodes:
            n.register()
            log(f"node {n.name} registered")
        names = {n.name for n in self.nodes}
        last_beat = time.time()
        while not self.stopping.is_set():
            try:
                self.step(names)
                if time.time() - last_beat >= 10:
                    for n in self.nodes:
                        n.heartbeat()
                    last_beat = time.time()
            except (ApiError, OSError) as e:
                log(f"agent: {e}")
            self.stopping.wait(1)
        for r in self.runners.values():
            r.gone.set()
            r._wake.set()
        for r in self.runners.values():
            r.done.wait(30)

    def step(self, names):
        pods = self.kube.get("/api/v1/pods")["items"]
        services = self.kube.get("/api/v1/services")["items"]
        slices = self.kube.get("/apis/discovery.k8s.io/v1/endpointslices")["items"]
        storage.reconcile(self.kube, self.run_dir, log)
        cluster = dns.ClusterNames(services, slices, pods)
        seen = set()
        for pod in pods:
            md, spec = pod["metadata"], pod["spec"]
            if spec.get("nodeName") not in names:
                continue
            uid = md["uid"]
            seen.add(uid)
            runner = self.runners.get(uid)
            if runner is None:
                if md.get("deletionTimestamp"):
                    # Never started here (or the agent restarted): nothing to stop.
                    self.kube.delete(pod_path(md["namespace"], md["name"]),
                                     {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                                      "preconditions": {"uid": uid}})
                    continue
                if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                    continue
                runner = PodRunner(self, pod, self.allocate())
                pod.setdefault("status", {})["podIP"] = runner.address
                runner.write_hosts(dns.hosts_file(pod, cluster))
                self.runners[uid] = runner
                runner.start()
                continue
            runner.update(pod)
            if not runner.done.is_set():
                view = dict(pod)
                view["status"] = {**pod.get("status", {}), "podIP": runner.address}
                runner.write_hosts(dns.hosts_file(view, cluster))
        for uid, runner in list(self.runners.items()):
            if uid not in seen:
                runner.gone.set()
                runner._wake.set()
                if runner.done.is_set():
                    del self.runners[uid]


def main():
    ap = argparse.ArgumentParser(prog="nodeagent", description=__doc__.splitlines()[0])
    ap.add_argument("--env", required=True, help="the env file control-plane.sh up writes")
    ap.add_argument("--repo", required=True, help="where docker/*.Dockerfile and the jars they COPY are (a checkout, or the copy cairn-e2e makes)")
    ap.add_argument("--nodes", type=int, default=1, help="how many Nodes to register (default 1)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("node agent: needs root (network and mount namespaces)")
    agent = Agent(read_env(args.env), os.path.abspath(args.repo), args.nodes)
    signal.signal(signal.SIGTERM, lambda *_: agent.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: agent.stopping.set())
    agent.run()
    log("node agent stopped")


main()
