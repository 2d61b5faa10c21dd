package io.cairn.operator;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A Cairn cluster, as users declare it: {@code kubectl apply -f cairncluster.yaml}. */
@Group("cairn.io")
@Version("v1alpha1")
@ShortNames("cairn")
public class CairnCluster extends CustomResource<CairnClusterSpec, CairnClusterStatus> implements Namespaced {
    @Override
    protected CairnClusterStatus initStatus() {
        return new CairnClusterStatus();
    }
}
