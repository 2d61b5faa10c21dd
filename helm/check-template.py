#!/usr/bin/env python3
"""Checks `helm template --include-crds` output: every document parses as a Kubernetes object
(apiVersion, kind, metadata.name), and the chart renders the CRD, the operator Deployment, its
RBAC and the webhook configuration. Usage: helm template ... | helm/check-template.py"""
import sys

import yaml

docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
kinds = {}
for d in docs:
    for field in ("apiVersion", "kind"):
        if not isinstance(d.get(field), str) or not d[field]:
            sys.exit(f"a document has no {field}: {d}")
    name = (d.get("metadata") or {}).get("name")
    if not name:
        sys.exit(f"a {d['kind']} has no metadata.name")
    kinds.setdefault(d["kind"], []).append(name)

need = ["CustomResourceDefinition", "Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
        "MutatingWebhookConfiguration", "Service", "Secret", "Role", "RoleBinding"]
missing = [k for k in need if k not in kinds]
if missing:
    sys.exit(f"helm template lacks {missing}; it has {sorted(kinds)}")
crd = next(d for d in docs if d["kind"] == "CustomResourceDefinition")
assert crd["metadata"]["name"] == "cairnclusters.cairn.io", crd["metadata"]["name"]
hook = next(d for d in docs if d["kind"] == "MutatingWebhookConfiguration")["webhooks"][0]
assert hook["clientConfig"]["service"]["path"] == "/mutate", hook
# Called only for pods that ask for the sidecar, and refusing them while the operator is down.
assert hook["objectSelector"] == {"matchLabels": {"cairn.io/inject": "true"}}, hook
assert hook["failurePolicy"] == "Fail", hook
# The operator makes the certificate and sets caBundle; it needs these rights and nothing wider.
role = next(d for d in docs if d["kind"] == "Role")
assert role["rules"][0]["resources"] == ["secrets"] and role["rules"][0]["resourceNames"], role
cluster_role = next(d for d in docs if d["kind"] == "ClusterRole")
mwc_rule = [r for r in cluster_role["rules"] if "mutatingwebhookconfigurations" in r["resources"]]
assert mwc_rule and mwc_rule[0]["resourceNames"], cluster_role
secret_rules = [r for r in cluster_role["rules"] if "secrets" in r["resources"]]
assert secret_rules and all(set(r["verbs"]) <= {"get", "create", "update"} for r in secret_rules), secret_rules
env = {e["name"] for e in next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]}
assert {"POD_NAMESPACE", "CAIRN_WEBHOOK_SECRET", "CAIRN_WEBHOOK_SERVICE", "CAIRN_WEBHOOK_CONFIG"} <= env, env
assert "CAIRN_METRICS_PORT" in env, env
# The Grafana dashboard ships in a ConfigMap as JSON that parses, with its panels.
import json
board = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard"))
dashboard = json.loads(board["data"]["cairn.json"])
assert dashboard["uid"] == "cairn-overview" and len(dashboard["panels"]) > 10, dashboard.get("title")
print(f"helm template: {len(docs)} objects parse ({', '.join(sorted(kinds))})")
