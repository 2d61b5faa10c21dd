"""A small Kubernetes REST client: just what the node agent needs, over HTTPS with the
credentials of a kubeconfig (embedded client certificate and CA, as control-plane.sh writes)."""
import base64
import http.client
import json
import os
import shutil
import ssl
import tempfile
import threading
import urllib.parse


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body.get('message', body) if isinstance(body, dict) else body}")
        self.status = status
        self.body = body


class Kube:
    def __init__(self, kubeconfig):
        cfg = _read_yaml_kubeconfig(kubeconfig)
        url = urllib.parse.urlparse(cfg["server"])
        self.host, self.port = url.hostname, url.port or 443
        self._dir = tempfile.mkdtemp(prefix="cairn-agent-")
        ca = self._write("ca.crt", cfg["ca"])
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.load_cert_chain(self._write("client.crt", cfg["cert"]), self._write("client.key", cfg["key"]))
        # The context holds them now; the key does not stay on disk after the agent.
        shutil.rmtree(self._dir, ignore_errors=True)
        self._local = threading.local()

    def _write(self, name, data):
        path = os.path.join(self._dir, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)
        return path

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
            self._local.conn = c
        return c

    def request(self, method, path, body=None, content_type="application/json", query=None):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):  # one retry on a connection the server closed while idle
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        out = json.loads(raw) if raw else {}
        if resp.status >= 400:
            raise ApiError(resp.status, out)
        return out

    def get(self, path, **query):
        return self.request("GET", path, query=query or None)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def create(self, path, obj):
        return self.request("POST", path, obj)

    def put(self, path, obj):
        return self.request("PUT", path, obj)

    def patch(self, path, patch, kind="strategic"):
        types = {"strategic": "application/strategic-merge-patch+json", "merge": "application/merge-patch+json",
                 "json": "application/json-patch+json"}
        return self.request("PATCH", path, patch, content_type=types[kind])

    def delete(self, path, options=None):
        try:
            return self.request("DELETE", path, options)
        except ApiError as e:
            if e.status in (404, 409):  # gone already, or a newer object of that name (uid precondition)
                return None
            raise


def _read_yaml_kubeconfig(path):
    """Reads the one cluster and user of a kubeconfig written by `kubectl config` with
    --embed-certs (a flat YAML that needs no YAML library)."""
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition(": ")
            if key in ("server", "certificate-authority-data", "client-certificate-data", "client-key-data"):
                values[key] = value.strip()
    missing = {"server", "certificate-authority-data", "client-certificate-data", "client-key-data"} - values.keys()
    if missing:
        raise SystemExit(f"node-agent: {path} lacks {', '.join(sorted(missing))} (needs embedded certificates)")
    return {"server": values["server"], "ca": base64.b64decode(values["certificate-authority-data"]),
            "cert": base64.b64decode(values["client-certificate-data"]),
            "key": base64.b64decode(values["client-key-data"])}


def pod_path(ns, name, sub=""):
    return f"/api/v1/namespaces/{ns}/pods/{name}" + (f"/{sub}" if sub else "")
