"""A pod's volumes as directories on the host, which the pod's containers see at their mount
paths (runtime.py binds them). emptyDir: a fresh directory; persistentVolumeClaim: the bound
PersistentVolume's hostPath (storage.py provisions them); hostPath: itself; secret, configMap,
downwardAPI and projected (serviceAccountToken, configMap, secret, downwardAPI): files written
here and rewritten when their source changes (tokens when 80% of their life is gone), each
file replaced by a rename so a reader never sees half of one."""
import base64
import os
import time

from kube import ApiError


class MountError(Exception):
    """A volume cannot be made yet (a missing Secret, an unbound claim): the kubelet retries."""


def field_value(pod, path):
    md, spec, st = pod["metadata"], pod["spec"], pod.get("status", {})
    simple = {"metadata.name": md["name"], "metadata.namespace": md["namespace"], "metadata.uid": md["uid"],
              "spec.nodeName": spec.get("nodeName", ""), "spec.serviceAccountName": spec.get("serviceAccountName", ""),
              "status.podIP": st.get("podIP", ""), "status.hostIP": st.get("hostIP", ""),
              "status.podIPs": ",".join(i["ip"] for i in st.get("podIPs", []))}
    if path in simple:
        return simple[path]
    for kind in ("labels", "annotations"):
        values = md.get(kind, {}) or {}
        if path == f"metadata.{kind}":
            return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
        prefix = f"metadata.{kind}['"
        if path.startswith(prefix) and path.endswith("']"):
            return values.get(path[len(prefix):-2], "")
    raise MountError(f"unsupported fieldRef {path}")


def resource_value(container, ref):
    """resourceFieldRef: limits/requests of a container, in the divisor's unit (default 1)."""
    kind, _, resource = ref["resource"].partition(".")
    value = ((container or {}).get("resources", {}).get(kind, {}) or {}).get(resource, "0")
    return str(value)


class Volumes:
    def __init__(self, kube, pod, pod_dir):
        self.kube, self.pod, self.dir = kube, pod, pod_dir
        self.paths = {}          # volume name -> host directory
        self._tokens = {}        # file path -> time to refresh
        self._last = {}          # file path -> bytes last written

    def host_path(self, name):
        return self.paths[name]

    def make(self):
        """Creates every volume; raises MountError while one cannot be made yet."""
        for v in self.pod["spec"].get("volumes", []) or []:
            self.paths[v["name"]] = self._make(v)

    def refresh(self):
        """Rewrites the files of secret, configMap, projected and downwardAPI volumes."""
        for v in self.pod["spec"].get("volumes", []) or []:
            if any(k in v for k in ("secret", "configMap", "projected", "downwardAPI")):
                try:
                    self._make(v)
                except (MountError, ApiError):
                    pass  # keep what is there, as the kubelet does

    def _make(self, v):
        name = v["name"]
        ns = self.pod["metadata"]["namespace"]
        if "emptyDir" in v:
            return self._dir(f"empty-dir/{name}")
        if "hostPath" in v:
            path = v["hostPath"]["path"]
            if v["hostPath"].get("type") in ("DirectoryOrCreate",):
                os.makedirs(path, exist_ok=True)
            return path
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"]["claimName"]
            pvc = self.kube.get_or_none(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}")
            if pvc is None or pvc.get("status", {}).get("phase") != "Bound":
                raise MountError(f"persistentvolumeclaim {claim} is not bound yet")
            pv = self.kube.get(f"/api/v1/persistentvolumes/{pvc['spec']['volumeName']}")
            path = (pv["spec"].get("hostPath") or pv["spec"].get("local") or {}).get("path")
            if not path:
                raise MountError(f"persistentvolume {pv['metadata']['name']} is neither hostPath nor local")
            os.makedirs(path, exist_ok=True)
            return path
        target = self._dir(f"volumes/{name}")
        files = {}
        mode = 0o644
        if "secret" in v:
            mode = v["secret"].get("defaultMode", mode)
            files = self._secret(ns, v["secret"])
        elif "configMap" in v:
            mode = v["configMap"].get("defaultMode", mode)
            files = self._config_map(ns, v["configMap"])
        elif "downwardAPI" in v:
            mode = v["downwardAPI"].get("defaultMode", mode)
            files = self._downward(v["downwardAPI"].get("items", []))
        elif "projected" in v:
            mode = v["projected"].get("defaultMode", mode)
            for source in v["projected"].get("sources", []):
                if "serviceAccountToken" in source:
                    files.update(self._token(source["serviceAccountToken"], target))
                elif "secret" in source:
                    files.update(self._secret(ns, source["secret"]))
                elif "configMap" in source:
                    files.update(self._config_map(ns, source["configMap"]))
                elif "downwardAPI" in source:
                    files.update(self._downward(source["downwardAPI"].get("items", [])))
        else:
            raise MountError(f"volume {name}: unsupported type {sorted(k for k in v if k != 'name')}")
        self._write_all(target, files, mode)
        return target

    def _dir(self, rel):
        path = os.path.join(self.dir, rel)
        os.makedirs(path, exist_ok=True)
        return path

    @staticmethod
    def _items(data, source):
        items = source.get("items")
        if not items:
            return dict(data)
        out = {}
        for it in items:
            if it["key"] not in data:
                if source.get("optional"):
                    continue
                raise MountError(f"key {it['key']} not found")
            out[it["path"]] = data[it["key"]]
        return out

    def _secret(self, ns, source):
        name = source.get("secretName") or source.get("name")
        s = self.kube.get_or_none(f"/api/v1/namespaces/{ns}/secrets/{name}")
        if s is None:
            if source.get("optional"):
                return {}
            raise MountError(f'secret "{name}" not found')
        data = {k: base64.b64decode(v) for k, v in (s.get("data") or {}).items()}
        return self._items(data, source)

    def _config_map(self, ns, source):
        name = source["name"]
        cm = self.kube.get_or_none(f"/api/v1/namespaces/{ns}/configmaps/{name}")
        if cm is None:
            if source.get("optional"):
                return {}
            raise MountError(f'configmap "{name}" not found')
        data = {k: v.encode() for k, v in (cm.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
        return self._items(data, source)

    def _downward(self, items):
        out = {}
        for it in items:
            if "fieldRef" in it:
                out[it["path"]] = field_value(self.pod, it["fieldRef"]["fieldPath"]).encode()
            elif "resourceFieldRef" in it:
                c = next((c for c in self.pod["spec"]["containers"]
                          if c["name"] == it["resourceFieldRef"].get("containerName")), None)
                out[it["path"]] = resource_value(c, it["resourceFieldRef"]).encode()
        return out

    def _token(self, source, target):
        path = os.path.join(target, source["path"])
        if path in self._last and time.time() < self._tokens.get(path, 0):
            return {source["path"]: self._last[path]}
        md, spec = self.pod["metadata"], self.pod["spec"]
        seconds = source.get("expirationSeconds", 3600)
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                   "spec": {"expirationSeconds": seconds,
                            "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": md["name"], "uid": md["uid"]}}}
        if source.get("audience"):
            request["spec"]["audiences"] = [source["audience"]]
        sa = spec.get("serviceAccountName") or "default"
        try:
            answer = self.kube.create(f"/api/v1/namespaces/{md['namespace']}/serviceaccounts/{sa}/token", request)
        except ApiError as e:
            raise MountError(f"token for serviceaccount {sa}: {e}")
        lifetime = answer.get("spec", {}).get("expirationSeconds", seconds)
        self._tokens[path] = time.time() + 0.8 * lifetime
        return {source["path"]: answer["status"]["token"].encode()}

    def _write_all(self, target, files, mode):
        for rel, data in files.items():
            path = os.path.join(target, rel)
            if self._last.get(path) == data and os.path.exists(path):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".cairn-tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
            self._last[path] = data
