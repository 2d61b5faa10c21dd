"""Storage for claims, as a dynamic provisioner would make it: each Pending
PersistentVolumeClaim gets a PersistentVolume of its size and access modes backed by a
directory under the agent's run directory (hostPath), bound to it by the controller-manager's
PV controller. A volume whose claim was deleted (Released) is deleted with its directory,
as reclaimPolicy Delete would; a claim that is kept keeps its volume and its data."""
import os
import shutil

from kube import ApiError

LABEL = "cairn.io/e2e-provisioned"


def reconcile(kube, run_dir, log):
    claims = kube.get("/api/v1/persistentvolumeclaims")["items"]
    for pvc in claims:
        md, spec = pvc["metadata"], pvc["spec"]
        if pvc.get("status", {}).get("phase") != "Pending" or spec.get("volumeName") or md.get("deletionTimestamp"):
            continue
        name = f"pvc-{md['uid']}"
        path = os.path.join(run_dir, "volumes", name)
        os.makedirs(path, exist_ok=True)
        pv = {"apiVersion": "v1", "kind": "PersistentVolume",
              "metadata": {"name": name, "labels": {LABEL: "true"}},
              "spec": {"capacity": {"storage": spec["resources"]["requests"]["storage"]},
                       "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                       "persistentVolumeReclaimPolicy": "Retain",
                       "storageClassName": spec.get("storageClassName") or "",
                       "hostPath": {"path": path, "type": "Directory"},
                       "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": md["namespace"],
                                    "name": md["name"], "uid": md["uid"]}}}
        try:
            kube.create("/api/v1/persistentvolumes", pv)
            log(f"provisioned {name} ({path}) for claim {md['namespace']}/{md['name']}")
        except ApiError as e:
            if e.status != 409:
                raise
    for pv in kube.get("/api/v1/persistentvolumes", labelSelector=f"{LABEL}=true")["items"]:
        if pv.get("status", {}).get("phase") == "Released":
            kube.delete(f"/api/v1/persistentvolumes/{pv['metadata']['name']}")
            shutil.rmtree(pv["spec"]["hostPath"]["path"], ignore_errors=True)
            log(f"deleted {pv['metadata']['name']}: its claim is gone")
