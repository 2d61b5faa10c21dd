"""Cluster DNS without a DNS server: every pod gets a hosts file, rewritten as Services,
EndpointSlices and pods change, that maps
- the pod's own hostname (and HOSTNAME.SUBDOMAIN.NS.svc[.cluster.local] with a subdomain),
- every pod with a hostname and subdomain: HOSTNAME.SUBDOMAIN.NS.svc[.cluster.local],
- every Service name (NAME.NS.svc[.cluster.local], NAME.NS, and NAME in the pod's own
  namespace) to its endpoint addresses: ready ones, or all with publishNotReadyAddresses.
A Service name never resolves to its ClusterIP: nothing serves ClusterIPs here (no kube-proxy),
and that traffic would leave the machine. Java clients cache a lookup for 30 s by default, as
they would with a real cluster DNS."""

DOMAIN = "cluster.local"


class ClusterNames:
    """Names that are the same for every pod, built once per refresh."""

    def __init__(self, services, slices, pods):
        self.entries = []      # (address, [names]) valid in every pod
        self.short = []        # (namespace, address, short name): only in pods of that namespace
        for p in pods:
            md, spec, st = p["metadata"], p["spec"], p.get("status", {})
            ip = st.get("podIP")
            if ip and spec.get("hostname") and spec.get("subdomain"):
                fq = f"{spec['hostname']}.{spec['subdomain']}.{md['namespace']}.svc"
                self.entries.append((ip, [f"{fq}.{DOMAIN}", fq]))
        by_service = {}
        for s in slices:
            svc = s["metadata"].get("labels", {}).get("kubernetes.io/service-name")
            if svc:
                by_service.setdefault((s["metadata"]["namespace"], svc), []).append(s)
        for svc in services:
            md, spec = svc["metadata"], svc.get("spec", {})
            if spec.get("type") == "ExternalName":
                continue
            ns, name = md["namespace"], md["name"]
            all_addresses = spec.get("publishNotReadyAddresses", False)
            seen = []
            for s in by_service.get((ns, name), []):
                for ep in s.get("endpoints", []) or []:
                    if all_addresses or ep.get("conditions", {}).get("ready", False):
                        for a in ep.get("addresses", []):
                            if a not in seen:
                                seen.append(a)
            for a in seen:
                self.entries.append((a, [f"{name}.{ns}.svc.{DOMAIN}", f"{name}.{ns}.svc", f"{name}.{ns}"]))
                self.short.append((ns, a, name))


def hosts_file(pod, names):
    md, spec = pod["metadata"], pod["spec"]
    ip = pod.get("status", {}).get("podIP", "")
    hostname = spec.get("hostname") or md["name"]
    own = [hostname]
    if spec.get("subdomain"):
        fq = f"{hostname}.{spec['subdomain']}.{md['namespace']}.svc"
        own = [f"{fq}.{DOMAIN}", fq, hostname]
    lines = ["# written by the cairn e2e node agent", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost"]
    if ip:
        lines.append(f"{ip}\t{' '.join(own)}")
    for address, hostnames in names.entries:
        lines.append(f"{address}\t{' '.join(hostnames)}")
    for ns, address, short in names.short:
        if ns == md["namespace"]:
            lines.append(f"{address}\t{short}")
    return "\n".join(lines) + "\n"
