"""The Node objects the agent stands behind: registered with room to spare (the scheduler
binds pods to them), their Lease renewed every 10 s and their Ready condition refreshed every
10 s, as a kubelet does; without both the node controller marks them unreachable in ~50 s."""
from datetime import datetime, timezone

from kube import ApiError

K8S_VERSION = "v1.34.3"


def _micro():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditions():
    t = _seconds()
    return [{"type": kind, "status": status, "reason": reason, "message": "cairn e2e node agent",
             "lastHeartbeatTime": t, "lastTransitionTime": t}
            for kind, status, reason in (("Ready", "True", "KubeletReady"),
                                         ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                                         ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                                         ("PIDPressure", "False", "KubeletHasSufficientPID"))]


class Node:
    def __init__(self, kube, name, address):
        self.kube, self.name, self.address = kube, name, address
        self.uid = None

    def register(self):
        capacity = {"cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi"}
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.name, "labels": {"kubernetes.io/hostname": self.name, "kubernetes.io/os": "linux",
                                                           "kubernetes.io/arch": "amd64"}},
                "status": {"capacity": capacity, "allocatable": capacity,
                           "addresses": [{"type": "InternalIP", "address": self.address},
                                         {"type": "Hostname", "address": self.name}],
                           "nodeInfo": {"kubeletVersion": K8S_VERSION, "containerRuntimeVersion": "cairn-e2e://1",
                                        "operatingSystem": "linux", "architecture": "amd64", "osImage": "cairn e2e node agent",
                                        "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": "",
                                        "kubeProxyVersion": ""},
                           "conditions": _conditions()}}
        existing = self.kube.get_or_none(f"/api/v1/nodes/{self.name}")
        node = existing or self.kube.create("/api/v1/nodes", body)
        self.uid = node["metadata"]["uid"]
        self.heartbeat()

    def heartbeat(self):
        self.kube.patch(f"/api/v1/nodes/{self.name}/status", {"status": {"conditions": _conditions()}})
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.name}"
        lease = self.kube.get_or_none(path)
        if lease is None:
            self.kube.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": "kube-node-lease",
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": self.name, "uid": self.uid}]},
                "spec": {"holderIdentity": self.name, "leaseDurationSeconds": 40, "renewTime": _micro()}})
        else:
            lease["spec"]["renewTime"] = _micro()
            try:
                self.kube.put(path, lease)
            except ApiError as e:
                if e.status != 409:
                    raise
