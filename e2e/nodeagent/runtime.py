"""Runs one pod the way a kubelet would, with processes instead of containers.

- Network: a network namespace per pod, a veth pair into it on the agent's bridge, an address
  of its own, a default route to the host, and a blackhole route for the Service CIDR.
- Files: each container runs in a private mount namespace (and UTS namespace, for the pod's
  hostname) chrooted into a root made of copy-on-write overlays of the host's /usr, /etc, /var
  and /opt, a fresh /tmp, /run and /root, the pod's hosts file at /etc/hosts, its volumes bound
  at their mount paths and a Cairn image's files at the paths the Dockerfile copies them to.
  Nothing it writes reaches the host, and a restarted container starts from a clean layer.
- Lifecycle: init containers in order, then the containers; an init container with
  restartPolicy Always (a native sidecar) is started and the next one follows once it has
  started, it runs beside the containers and is restarted whatever the pod's policy, and it is
  stopped after them: when they have all ended (a Job's pod completes) or, on deletion, once
  they have stopped; readiness, liveness and startup
  probes (httpGet, tcpSocket, exec); restarts by restartPolicy with back-off (1 s doubling to
  20 s here, where a kubelet starts at 10 s: a test should not wait minutes); deletion sends
  SIGTERM, waits the grace period, sends SIGKILL, then deletes the pod with grace 0.
- Status: phase, conditions, podIP, container states and restart counts, on every change.
- Processes: with shareProcessNamespace: true the pod's containers share a PID namespace of
  their own, whose process 1 is a pause process, and each container's first process enters it
  from outside (its parent shows as 0), as under a container runtime; each container mounts that
  namespace's /proc. Without it they run in the host's PID namespace.
Not done: resource limits (no cgroups; a JVM is told its memory limit with -XX:MaxRAM),
kubectl logs/exec (no kubelet API: logs are files under the pod's directory), preStop hooks,
image pulls, ServiceName env links (they would name ClusterIPs)."""
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import traceback
from datetime import datetime, timezone

import images
import volumes
from kube import ApiError, pod_path

OVERLAID = ("usr", "etc", "var", "opt")


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg):
    print(f"{datetime.now().strftime('%H:%M:%S.%f')[:-3]} {msg}", flush=True)


def quantity_bytes(q):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    for suffix, factor in units.items():
        if q.endswith(suffix):
            return int(float(q[:-len(suffix)]) * factor)
    return int(float(q))


def in_root(path):
    """Where PATH is inside a container's root: symlinks of the overlaid host directories are
    followed (/var/run is /run), so a bind lands where the container will look for it."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in OVERLAID + tuple(e for e in os.listdir("/") if os.path.islink("/" + e)):
        return "/" + "/".join(parts)
    prefix = "/"
    i = 0
    while i < len(parts) and os.path.exists(os.path.join(prefix, parts[i])):
        prefix = os.path.join(prefix, parts[i])
        i += 1
    real = os.path.realpath(prefix)
    return os.path.join(real, *parts[i:]) if i < len(parts) else real


class Network:
    def __init__(self, name, address, bridge, bridge_ip, prefix, service_cidr):
        self.netns = f"cz-{name}"
        self.veth = f"czh{name}"
        self.address = address
        self._up = [
            ["ip", "netns", "add", self.netns],
            ["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.netns],
            ["ip", "link", "set", self.veth, "master", bridge, "up"],
            ["ip", "-n", self.netns, "addr", "add", f"{address}/{prefix}", "dev", "eth0"],
            ["ip", "-n", self.netns, "link", "set", "eth0", "up"],
            ["ip", "-n", self.netns, "link", "set", "lo", "up"],
            ["ip", "-n", self.netns, "route", "add", "default", "via", bridge_ip],
            ["ip", "-n", self.netns, "route", "add", "blackhole", service_cidr],
        ]

    def up(self):
        self.down()
        for cmd in self._up:
            subprocess.run(cmd, check=True, capture_output=True)

    def down(self):
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.veth], capture_output=True)


class Probe:
    def __init__(self, spec, kind):
        self.spec = spec or {}
        self.kind = kind
        self.period = self.spec.get("periodSeconds", 10)
        self.timeout = self.spec.get("timeoutSeconds", 1)
        self.failure_threshold = self.spec.get("failureThreshold", 3)
        self.success_threshold = self.spec.get("successThreshold", 1)
        self.next = 0.0
        self.successes = 0
        self.failures = 0
        self.ok = False
        self.last_error = ""

    def reset(self, started):
        self.next = started + self.spec.get("initialDelaySeconds", 0)
        self.successes = self.failures = 0
        self.ok = False

    def due(self, t):
        return self.spec and t >= self.next


class Container:
    def __init__(self, spec, init=False):
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        # A native sidecar: an init container that runs beside the app containers.
        self.sidecar = init and spec.get("restartPolicy") == "Always"
        self.proc = None
        self.pid = None  # the container's first process (c.proc is nsenter's when the pod shares its PID namespace)
        self.log = None
        self.started_at = None
        self.finished_at = None
        self.exit_code = None
        self.term_signal = None
        self.restarts = 0
        self.last_state = {}
        self.waiting = ("ContainerCreating", "")
        self.next_start = 0.0
        self.backoff = 1.0
        self.readiness = Probe(spec.get("readinessProbe"), "readiness")
        self.liveness = Probe(spec.get("livenessProbe"), "liveness")
        self.startup = Probe(spec.get("startupProbe"), "startup")
        self.started_ok = not spec.get("startupProbe")
        self.start_clock = 0.0

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ready(self):
        if not self.running() or not self.started_ok:
            return False
        return self.readiness.ok if self.readiness.spec else True

    def state(self):
        # A process that has just ended but whose end _exited has not recorded yet is still
        # reported running: its exit code comes with the next pass.
        if self.running() or (self.proc is not None and self.exit_code is None and self.waiting is None):
            return {"running": {"startedAt": self.started_at}}
        if self.exit_code is not None:
            t = {"exitCode": self.exit_code, "reason": "Completed" if self.exit_code == 0 else "Error",
                 "startedAt": self.started_at, "finishedAt": self.finished_at}
            if self.term_signal:
                t["signal"] = self.term_signal
            if self.waiting and self.waiting[0] == "CrashLoopBackOff":
                return {"waiting": {"reason": self.waiting[0], "message": self.waiting[1]}}
            return {"terminated": t}
        return {"waiting": {"reason": self.waiting[0], "message": self.waiting[1]} if self.waiting[1]
                else {"reason": self.waiting[0]}}

    def status(self, pod_uid):
        s = {"name": self.name, "image": self.spec["image"], "imageID": "cairn-e2e://" + self.spec["image"],
             "ready": self.ready(), "restartCount": self.restarts, "state": self.state(),
             "lastState": self.last_state, "started": self.running() and self.started_ok}
        if self.started_at:
            s["containerID"] = f"cairn-e2e://{pod_uid[:8]}-{self.name}-{self.restarts}"
        return s


class PodRunner(threading.Thread):
    """One pod's life on this node, on a thread of its own."""

    def __init__(self, agent, pod, address):
        super().__init__(daemon=True, name=f"pod-{pod['metadata']['name']}")
        self.agent = agent
        self.pod = pod
        md = pod["metadata"]
        self.key = f"{md['namespace']}/{md['name']}"
        self.uid = md["uid"]
        self.dir = os.path.join(agent.run_dir, "pods", f"{md['namespace']}_{md['name']}_{self.uid[:8]}")
        self.net = Network(self.uid[:8], address, agent.bridge, agent.bridge_ip, agent.prefix, agent.service_cidr)
        self.address = address
        self.hosts_path = os.path.join(self.dir, "hosts")
        self.vols = volumes.Volumes(agent.kube, pod, self.dir)
        spec = pod["spec"]
        self.inits = [Container(c, init=True) for c in spec.get("initContainers", []) or []]
        self.containers = [Container(c) for c in spec.get("containers", [])]
        self.policy = spec.get("restartPolicy", "Always")
        self.shared_pids = bool(spec.get("shareProcessNamespace"))
        self.pause = None
        self.start_time = now()
        self.phase = "Pending"
        self.initialized = not self.inits
        self.deleting = threading.Event()
        self.gone = threading.Event()     # the pod object no longer exists: stop at once
        self.done = threading.Event()
        self._last_status = None
        self._last_key = None
        self._wake = threading.Event()

    # -- called by the agent's loop ------------------------------------------------------------
    def update(self, pod):
        self.pod = pod
        self.vols.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self.deleting.set()
            self._wake.set()

    def write_hosts(self, text):
        os.makedirs(self.dir, exist_ok=True)
        try:
            with open(self.hosts_path) as f:
                if f.read() == text:
                    return
        except FileNotFoundError:
            pass
        # In place: each container's /etc/hosts is a bind of this very file.
        with open(self.hosts_path, "a+") as f:
            f.seek(0)
            f.truncate()
            f.write(text)

    # -- the pod's life ----------------------------------------------------------------------
    def run(self):
        try:
            self._live()
        except Exception:  # the agent must outlive any one pod
            log(f"pod {self.key}: agent error: {traceback.format_exc()}")
        finally:
            self._kill_all()
            if self.pause is not None:
                self.pause.kill()  # process 1 of the pod's PID namespace: whatever is left there ends with it
                self.pause.wait()
            self.net.down()
            for c in self.inits + self.containers:
                shutil.rmtree(self._cdir(c), ignore_errors=True)
            self.done.set()

    def _live(self):
        os.makedirs(self.dir, exist_ok=True)
        self.net.up()
        log(f"pod {self.key}: network {self.net.netns} address {self.address}")
        if self.shared_pids:
            self._start_pause()
        self._report()
        while not self._mount_volumes():
            if self._sleep(1):
                return
        for c in self.inits:
            if not (self._start_sidecar(c) if c.sidecar else self._run_to_completion(c)):
                return
        self.initialized = True
        self.phase = "Running"
        last_refresh = time.time()
        while True:
            t = time.time()
            for c in self.sidecars() + self.containers:
                self._tend(c, t)
            if t - last_refresh > 5:
                self.vols.refresh()
                last_refresh = t
            self._report()
            if self._all_finished():
                return self._finish_terminal()
            if self.deleting.is_set() or self.gone.is_set():
                return self._terminate()
            if self._sleep(0.5):
                return

    def sidecars(self):
        return [c for c in self.inits if c.sidecar]

    def _start_sidecar(self, c):
        """A native sidecar: started, then tended (probes, restarts) until it has started (its
        startupProbe passed, or it runs); the next init container waits for that, not for its end."""
        while True:
            self._tend(c, time.time())
            self._report()
            if c.running() and c.started_ok:
                return True
            if self._sleep(0.2):
                return False

    def _sleep(self, seconds):
        """Waits; True when the pod is being deleted (the caller stops)."""
        self._wake.wait(seconds)
        self._wake.clear()
        if self.gone.is_set():
            return True
        if self.deleting.is_set():
            self._terminate()
            return True
        return False

    def _start_pause(self):
        """Process 1 of the pod's own PID namespace (shareProcessNamespace: true), which the
        containers enter."""
        self.pause = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "sleep", "infinity"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        child = self._child_of(self.pause)
        if child is None:
            raise RuntimeError("the pod's pause process did not start")
        self.pause_pid = child
        log(f"pod {self.key}: shares a PID namespace (pause is pid {child} here)")

    @staticmethod
    def _child_of(proc, wait=5.0):
        """The first child of a process that forks one (unshare --fork, nsenter --pid); None if it ended first."""
        path = f"/proc/{proc.pid}/task/{proc.pid}/children"
        deadline = time.time() + wait
        while time.time() < deadline and proc.poll() is None:
            try:
                with open(path) as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except OSError:
                pass
            time.sleep(0.01)
        return None

    def _mount_volumes(self):
        try:
            self.vols.make()
            return True
        except (volumes.MountError, ApiError) as e:
            for c in self.inits + self.containers:
                c.waiting = ("ContainerCreating", f"MountVolume: {e}")
            self._report()
            return False

    def _run_to_completion(self, c):
        while True:
            if not self._start(c):
                if self._sleep(c.backoff):
                    return False
                c.backoff = min(c.backoff * 2, 20)
                continue
            self._report()
            while c.running():
                if self._sleep(0.5):
                    return False
            self._exited(c)
            if c.exit_code == 0:
                self._report()
                return True
            if self.policy == "Never":
                self.phase = "Failed"
                self._report()
                return False
            c.last_state = c.state()
            c.restarts += 1
            c.waiting = ("CrashLoopBackOff", f"back-off {c.backoff:.0f}s restarting failed container {c.name}")
            self._report()
            if self._sleep(c.backoff):
                return False
            c.backoff = min(c.backoff * 2, 20)

    def _tend(self, c, t):
        if c.proc is None:
            if t >= c.next_start and not self.deleting.is_set():
                self._start(c)
            return
        if not c.running():
            if c.finished_at is None:
                self._after_exit(c, t)
            return
        if t - c.start_clock > 60:
            c.backoff = 1.0  # ran for a minute: the next failure starts the back-off again
        if not c.started_ok:
            if c.startup.due(t):
                self._probe(c, c.startup, t)
                c.started_ok = c.startup.ok
                if c.startup.failures >= c.startup.failure_threshold:
                    self._restart_unhealthy(c, "startup")
            return
        if c.readiness.due(t):
            self._probe(c, c.readiness, t)
        if c.liveness.due(t):
            self._probe(c, c.liveness, t)
            if c.liveness.failures >= c.liveness.failure_threshold:
                self._restart_unhealthy(c, "liveness")

    def _after_exit(self, c, t):
        """A container ended: note how, and restart it when the pod's restartPolicy says so."""
        self._exited(c)
        restart = c.sidecar or self.policy == "Always" or (self.policy == "OnFailure" and c.exit_code != 0)
        if restart and not self.deleting.is_set():
            c.last_state = c.state()
            c.next_start = t + c.backoff
            c.waiting = ("CrashLoopBackOff", f"back-off {c.backoff:.0f}s restarting failed container {c.name}")
            c.backoff = min(c.backoff * 2, 20)
            c.restarts += 1
            c.proc = None

    def _restart_unhealthy(self, c, kind):
        log(f"pod {self.key}: container {c.name} failed its {kind} probe: {getattr(c, kind).last_error}; killing it")
        self._stop(c, self._grace())
        self._after_exit(c, time.time())

    def _probe(self, c, probe, t):
        probe.next = t + probe.period
        ok, why = self._check(c, probe.spec, probe.timeout)
        if ok:
            probe.failures = 0
            probe.successes += 1
            if probe.successes >= probe.success_threshold:
                probe.ok = True
        else:
            probe.successes = 0
            probe.failures += 1
            probe.last_error = why
            if probe.failures >= probe.failure_threshold or (probe.kind == "readiness" and not probe.ok):
                if probe.ok or probe.failures == probe.failure_threshold:
                    log(f"pod {self.key}: {probe.kind} probe of {c.name} failed: {why}")
                probe.ok = False

    def _port(self, c, port):
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for p in c.spec.get("ports", []) or []:
            if p.get("name") == port:
                return p["containerPort"]
        raise ValueError(f"no port named {port}")

    def _check(self, c, spec, timeout):
        try:
            if "httpGet" in spec:
                h = spec["httpGet"]
                port = self._port(c, h["port"])
                host = h.get("host") or self.address
                if h.get("scheme", "HTTP").upper() == "HTTPS":
                    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl._create_unverified_context())
                else:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                headers = {x["name"]: x["value"] for x in h.get("httpHeaders", []) or []}
                conn.request("GET", h.get("path", "/"), headers=headers)
                status = conn.getresponse().status
                conn.close()
                return 200 <= status < 400, f"HTTP probe failed with statuscode: {status}"
            if "tcpSocket" in spec:
                port = self._port(c, spec["tcpSocket"]["port"])
                with socket.create_connection((spec["tcpSocket"].get("host") or self.address, port), timeout=timeout):
                    return True, ""
            if "exec" in spec:
                cmd = ["nsenter", "-t", str(c.pid), "-n", "-m", "-u", "-r", "-w", "--"] + spec["exec"]["command"]
                r = subprocess.run(cmd, capture_output=True, timeout=max(timeout, 1), env=self._env(c))
                return r.returncode == 0, f"command exited {r.returncode}: {(r.stdout + r.stderr).decode(errors='replace')[-200:]}"
            return False, "probe has no handler"
        except Exception as e:
            return False, str(e)

    # -- processes -----------------------------------------------------------------------------
    def _cdir(self, c):
        return os.path.join(self.dir, "containers", c.name)

    def _env(self, c):
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOSTNAME": self.pod["spec"].get("hostname") or self.pod["metadata"]["name"], "HOME": "/root",
               "KUBERNETES_SERVICE_HOST": self.agent.api_host, "KUBERNETES_SERVICE_PORT": str(self.agent.api_port),
               "KUBERNETES_SERVICE_PORT_HTTPS": str(self.agent.api_port)}
        limit = ((c.spec.get("resources") or {}).get("limits") or {}).get("memory")
        if limit:  # no cgroups here: tell a JVM its limit, as container support would read it
            env["JAVA_TOOL_OPTIONS"] = f"-XX:MaxRAM={quantity_bytes(limit)}"
        ns = self.pod["metadata"]["namespace"]
        for src in c.spec.get("envFrom", []) or []:
            prefix = src.get("prefix", "")
            if "configMapRef" in src:
                data = self.vols._config_map(ns, {**src["configMapRef"]})
            else:
                data = self.vols._secret(ns, {"secretName": src["secretRef"]["name"], "optional": src["secretRef"].get("optional")})
            env.update({prefix + k: v.decode() for k, v in data.items()})
        for e in c.spec.get("env", []) or []:
            if "value" in e:
                env[e["name"]] = images.expand(e["value"], env)
                continue
            ref = e.get("valueFrom", {})
            if "fieldRef" in ref:
                env[e["name"]] = volumes.field_value(self.pod, ref["fieldRef"]["fieldPath"])
            elif "resourceFieldRef" in ref:
                env[e["name"]] = volumes.resource_value(c.spec, ref["resourceFieldRef"])
            elif "configMapKeyRef" in ref or "secretKeyRef" in ref:
                is_cm = "configMapKeyRef" in ref
                r = ref["configMapKeyRef" if is_cm else "secretKeyRef"]
                source = {"name": r["name"], "secretName": r["name"], "optional": r.get("optional"),
                          "items": [{"key": r["key"], "path": "v"}]}
                data = self.vols._config_map(ns, source) if is_cm else self.vols._secret(ns, source)
                if "v" in data:
                    env[e["name"]] = data["v"].decode()
        return env

    def _script(self, c, image):
        """The shell that builds the container's root inside its new mount namespace, then execs
        the container's program chrooted into it."""
        d = self._cdir(c)
        root, upper, work, tmp = (os.path.join(d, x) for x in ("root", "upper", "work", "tmp"))
        for x in (upper, work):
            shutil.rmtree(x, ignore_errors=True)  # every start gets a clean writable layer
        for x in (root, upper, work, tmp):
            os.makedirs(x, exist_ok=True)
        os.chmod(tmp, 0o1777)
        q = shlex.quote
        lines = ["set -e", f"R={q(root)}", "mount -t tmpfs -o mode=755 cairn-root \"$R\""]
        for top in OVERLAID:
            if os.path.isdir("/" + top) and not os.path.islink("/" + top):
                os.makedirs(os.path.join(upper, top), exist_ok=True)
                os.makedirs(os.path.join(work, top), exist_ok=True)
                lines.append(f"mkdir -p \"$R/{top}\" && mount -t overlay overlay -o "
                             f"lowerdir=/{top},upperdir={q(os.path.join(upper, top))},workdir={q(os.path.join(work, top))} \"$R/{top}\"")
        for entry in sorted(os.listdir("/")):
            if os.path.islink("/" + entry):
                lines.append(f"ln -s {q(os.readlink('/' + entry))} \"$R/{entry}\"")
        for top in ("dev", "proc", "sys"):
            if top == "proc" and self.shared_pids:
                lines.append("mkdir -p \"$R/proc\" && mount -t proc proc \"$R/proc\"")  # the pod's PID namespace's own
            else:
                lines.append(f"mkdir -p \"$R/{top}\" && mount --rbind /{top} \"$R/{top}\"")
        lines += [f"mkdir -p \"$R/tmp\" \"$R/run\" \"$R/root\" && mount --bind {q(tmp)} \"$R/tmp\"",
                  "mount -t tmpfs -o mode=755 cairn-run \"$R/run\"",
                  f"mount --bind {q(self.hosts_path)} \"$R/etc/hosts\"",
                  f"mount --bind {q(self._resolv_conf())} \"$R\"{q(in_root('/etc/resolv.conf'))}",
                  f"hostname {q(self.pod['spec'].get('hostname') or self.pod['metadata']['name'])}"]
        binds = []
        for dest, src in image.files.items():
            binds.append((src, dest, True))
        for m in c.spec.get("volumeMounts", []) or []:
            src = self.vols.host_path(m["name"])
            if m.get("subPath"):
                src = os.path.join(src, m["subPath"])
                if not os.path.exists(src):
                    os.makedirs(src)
            binds.append((src, m["mountPath"], m.get("readOnly", False)))
        for src, dest, ro in binds:
            target = "$R" + q(in_root(dest))
            make = f"mkdir -p \"$(dirname {target})\" && touch {target}" if os.path.isfile(src) else f"mkdir -p {target}"
            lines.append(f"{make} && mount --bind {q(src)} {target}")
            if ro:
                lines.append(f"mount -o remount,bind,ro {target}")
        workdir = c.spec.get("workingDir") or "/"
        lines.append(f"exec chroot \"$R\" /bin/sh -c 'cd \"$1\" && shift && exec \"$@\"' sh {q(workdir)} \"$@\"")
        path = os.path.join(d, "start.sh")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def _resolv_conf(self):
        """There is no cluster DNS server: a name the hosts file lacks must fail at once, as a
        cluster DNS answers NXDOMAIN (127.0.0.1:53 refuses in the pod's namespace). The host's
        resolver is unreachable from a pod, and each lookup waited 20 s for it."""
        path = os.path.join(self.dir, "resolv.conf")
        ns = self.pod["metadata"]["namespace"]
        with open(path, "w") as f:
            f.write(f"search {ns}.svc.cluster.local svc.cluster.local cluster.local\n"
                    "nameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n")
        return path

    def _start(self, c):
        try:
            image = images.resolve(c.spec["image"], self.agent.repo)
            env = self._env(c)
            argv = [images.expand(a, env) for a in images.argv(c.spec, image)]
            script = self._script(c, image)
        except (images.ImageError, volumes.MountError, ApiError, ValueError) as e:
            c.waiting = ("CreateContainerError" if not isinstance(e, images.ImageError) else "ErrImagePull", str(e))
            log(f"pod {self.key}: cannot start {c.name}: {e}")
            self._report()
            return False
        c.log = open(os.path.join(self.dir, f"{c.name}.log"), "ab")
        c.log.write(f"--- {now()} start #{c.restarts}: {shlex.join(argv)}\n".encode())
        c.log.flush()
        cmd = ["ip", "netns", "exec", self.net.netns, "unshare", "-m", "-u", "--propagation", "private",
               "sh", script] + argv
        if self.shared_pids:
            # nsenter stays outside and forks the container's first process into the namespace.
            cmd = ["nsenter", "--target", str(self.pause_pid), "--pid", "--"] + cmd
        c.proc = subprocess.Popen(cmd, env=env, stdout=c.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True, cwd="/")
        c.pid = (self._child_of(c.proc) or c.proc.pid) if self.shared_pids else c.proc.pid
        with open(os.path.join(self.dir, f"{c.name}.pid"), "w") as f:
            f.write(f"{c.pid}\n")  # for the suite's `kubectl exec` stand-in (nsenter)
        c.started_at = now()
        c.start_clock = time.time()
        c.finished_at = None
        c.exit_code = None
        c.term_signal = None
        c.waiting = None
        c.started_ok = not c.spec.get("startupProbe")
        for p in (c.readiness, c.liveness, c.startup):
            p.reset(c.start_clock)
        log(f"pod {self.key}: started {'init ' if c.init else ''}container {c.name} (pid {c.pid}, restarts {c.restarts})")
        return True

    def _exited(self, c):
        rc = c.proc.wait()
        c.finished_at = now()
        c.exit_code = rc if rc >= 0 else 128 - rc
        c.term_signal = -rc if rc < 0 else None
        try:
            os.killpg(c.proc.pid, signal.SIGKILL)  # what it left behind dies with it, as in a container
        except ProcessLookupError:
            pass
        if c.log:
            c.log.close()
        log(f"pod {self.key}: {'init ' if c.init else ''}container {c.name} exited with {c.exit_code}")

    def _stop(self, c, grace):
        if not c.running():
            return
        try:
            os.kill(c.pid, signal.SIGTERM)  # the container's first process: nsenter would not pass it on
        except ProcessLookupError:
            return
        deadline = time.time() + grace
        while c.running() and time.time() < deadline:
            time.sleep(0.1)
        if c.running():
            try:
                os.killpg(c.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _kill_all(self):
        for c in self.inits + self.containers:
            if c.proc is not None and c.proc.poll() is None:
                try:
                    os.killpg(c.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                c.proc.wait()

    def _grace(self):
        md = self.pod["metadata"]
        if md.get("deletionGracePeriodSeconds") is not None:
            return md["deletionGracePeriodSeconds"]
        return self.pod["spec"].get("terminationGracePeriodSeconds", 30)

    def _stop_all(self, group, grace):
        running = [c for c in group if c.running()]
        stoppers = [threading.Thread(target=self._stop, args=(c, grace)) for c in running]
        for s in stoppers:
            s.start()
        for s in stoppers:
            s.join()
        for c in running:
            self._exited(c)

    def _terminate(self):
        grace = self._grace()
        log(f"pod {self.key}: deleting: SIGTERM, grace {grace}s")
        # The app containers (and any init container still running to completion) first; the
        # native sidecars once those have stopped, within what is left of the grace period.
        t0 = time.time()
        self._stop_all([c for c in self.inits + self.containers if not c.sidecar], grace)
        self._stop_all(self.sidecars(), max(1, grace - (time.time() - t0)))
        if not self.gone.is_set():
            self._report()
            self.agent.kube.delete(pod_path(*self.key.split("/")),
                                   {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                                    "preconditions": {"uid": self.uid}})
        log(f"pod {self.key}: deleted")

    def _all_finished(self):
        if self.policy == "Always":
            return False
        for c in self.containers:
            # Finished once its end is recorded (_exited), not merely no longer running: a
            # container that ended between _tend and here had no exit code yet, and reporting
            # the pod's end crashed the pod's thread (CI, 2026-12-06: the pod never ended).
            if c.proc is None or c.running() or c.exit_code is None:
                return False
            if self.policy == "OnFailure" and c.exit_code != 0:
                return False
        return True

    def _finish_terminal(self):
        # The app containers have ended: the native sidecars are stopped now (SIGTERM, then the grace period).
        if self.sidecars():
            log(f"pod {self.key}: the containers have ended; stopping the sidecars")
            self._stop_all(self.sidecars(), self._grace())
        failed = any(c.exit_code != 0 for c in self.containers)
        self.phase = "Failed" if failed else "Succeeded"
        self._report()
        log(f"pod {self.key}: {self.phase}")
        while not (self.deleting.is_set() or self.gone.is_set()):
            self._wake.wait(1)
            self._wake.clear()
        if self.deleting.is_set() and not self.gone.is_set():
            self._terminate()

    # -- status ------------------------------------------------------------------------------
    def _report(self):
        ready = self.initialized and all(c.ready() for c in self.sidecars() + self.containers) and self.phase == "Running"

        def cond(kind, ok):
            return {"type": kind, "status": "True" if ok else "False"}
        conditions = [cond("PodReadyToStartContainers", True), cond("Initialized", self.initialized),
                      cond("ContainersReady", ready), cond("Ready", ready)]
        status = {"phase": self.phase, "hostIP": self.agent.bridge_ip, "hostIPs": [{"ip": self.agent.bridge_ip}],
                  "podIP": self.address, "podIPs": [{"ip": self.address}], "startTime": self.start_time,
                  "conditions": conditions,
                  "containerStatuses": [c.status(self.uid) for c in self.containers]}
        if self.inits:
            status["initContainerStatuses"] = [c.status(self.uid) for c in self.inits]
        key = json.dumps(status, sort_keys=True)
        if key == self._last_key:
            return
        old = {c["type"]: c for c in (self._last_status or {}).get("conditions", [])}
        stamp = now()
        for c in conditions:
            c["lastTransitionTime"] = old[c["type"]]["lastTransitionTime"] if c["type"] in old and old[c["type"]]["status"] == c["status"] else stamp
        try:
            self.agent.kube.patch(pod_path(*self.key.split("/"), "status"), {"status": status})
            self._last_status = status
            self._last_key = key
        except ApiError as e:
            if e.status == 404:
                self.gone.set()
            else:
                log(f"pod {self.key}: status not written: {e}")
