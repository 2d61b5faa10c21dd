package io.cairn.node.acl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdentityTest {
    @Test
    void anAuthorTravelsInTheLogShortAndComesBackTheSame() {
        Identity pod = Identity.of("system:serviceaccount:shop:web", List.of("extra"), "web-0", 123);
        assertThat(pod.namespace()).isEqualTo("shop");
        assertThat(pod.serviceAccount()).isEqualTo("web");
        assertThat(pod.groups()).containsExactlyInAnyOrder("extra", "system:serviceaccounts", "system:serviceaccounts:shop",
                Identity.AUTHENTICATED);
        // Only what cannot be derived from the name is written.
        assertThat(pod.toProto().getGroupsList()).containsExactly("extra");
        assertThat(pod.toProto().hasNamespace()).isFalse();
        assertThat(pod.toProto().getPod()).isEqualTo("web-0");
        Identity back = Identity.fromProto(pod.toProto());
        assertThat(back.name()).isEqualTo(pod.name());
        assertThat(back.groups()).containsExactlyInAnyOrderElementsOf(pod.groups());
        assertThat(List.of(back.namespace(), back.serviceAccount(), back.pod())).containsExactly("shop", "web", "web-0");

        Identity user = Identity.named("ann", List.of("developers", Identity.ADMINS), 0);
        assertThat(user.toProto().getGroupsList()).containsExactly("developers", Identity.ADMINS);
        assertThat(Identity.fromProto(user.toProto())).isEqualTo(user);
        assertThat(Identity.fromProto(user.toProto()).admin()).isTrue();

        assertThat(Identity.fromProto(Identity.ANONYMOUS.toProto())).isEqualTo(Identity.ANONYMOUS);
        assertThat(Identity.fromProto(Identity.ANONYMOUS.toProto()).anonymous()).isTrue();
        // Equal whatever the credential's expiry: one cache entry per caller.
        assertThat(Identity.named("ann", List.of("developers", Identity.ADMINS), 99)).isEqualTo(user).hasSameHashCodeAs(user);
    }

    @Test
    void aNameThatOnlyLooksLikeAServiceAccountIsNotOne() {
        assertThat(Identity.serviceAccountParts("system:serviceaccount:shop")).isNull();
        assertThat(Identity.serviceAccountParts("system:serviceaccount::web")).isNull();
        assertThat(Identity.serviceAccountParts("system:serviceaccounts:shop:web")).isNull();
        assertThat(Identity.of("system:serviceaccount:a:b:c", List.of(), "", 0).namespace()).isEmpty();
    }
}
