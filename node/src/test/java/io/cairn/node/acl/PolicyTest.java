package io.cairn.node.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.store.Err;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private static final Identity POD_A = new Identity("system:serviceaccount:shop:web",
            List.of("system:serviceaccounts", "system:serviceaccounts:shop", Identity.AUTHENTICATED), "shop", "web", "web-0", 0);
    private static final Identity POD_B = new Identity("system:serviceaccount:bank:api",
            List.of("system:serviceaccounts", "system:serviceaccounts:bank", Identity.AUTHENTICATED), "bank", "api", "api-7", 0);

    private static Rule rule(String name, String json) {
        return Rule.parse(Rule.DIR + "/" + name, json.getBytes(StandardCharsets.UTF_8));
    }

    /** The sidecar policy the issue asks for: namespaced config read, own presence write. */
    private static final Policy SIDECARS = new Policy(List.of(
            rule("config", "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/config/{namespace}/**\",\"rights\":[\"read\",\"watch\"]}"),
            rule("presence", "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/presence/{namespace}/*/{pod}\",\"rights\":[\"write\"]}")));

    @Test
    void aPodReadsItsNamespacesConfigAndWritesOnlyItsOwnPresence() {
        Grants a = SIDECARS.grantsFor(POD_A);
        assertThat(a.allows("/config/shop/web/db.url", Right.READ)).isTrue();
        assertThat(a.allows("/config/shop/web/db.url", Right.WATCH)).isTrue();
        assertThat(a.allows("/config/shop/web/db.url", Right.WRITE)).isFalse();
        assertThat(a.allows("/config/bank/api/key", Right.READ)).isFalse();
        assertThat(a.allows("/presence/shop/web/web-0", Right.WRITE)).isTrue();
        assertThat(a.allows("/presence/shop/web/web-1", Right.WRITE)).isFalse();
        assertThat(a.allows("/presence/bank/api/web-0", Right.WRITE)).isFalse();
        assertThatThrownBy(() -> a.check("/config/bank/api/key", Right.READ))
                .isInstanceOf(StoreException.class)
                .hasMessage("identity system:serviceaccount:shop:web lacks the read right on /config/bank/api/key")
                .extracting(e -> ((StoreException) e).code()).isEqualTo(Err.PERMISSION_DENIED);
        Grants b = SIDECARS.grantsFor(POD_B);
        assertThat(b.allows("/config/bank/api/key", Right.READ)).isTrue();
        assertThat(b.allows("/config/shop/web/db.url", Right.READ)).isFalse();
    }

    @Test
    void listingsAndWatchesAreGatedByWhatCouldBeReachedUnderTheirPrefix() {
        Grants a = SIDECARS.grantsFor(POD_A);
        assertThat(a.mayReach("/config", Right.READ)).isTrue();
        assertThat(a.mayReach("/", Right.READ)).isTrue();
        assertThat(a.mayReach("/config/shop", Right.READ)).isTrue();
        assertThat(a.mayReach("/config/shop/web/x", Right.READ)).isTrue();
        assertThat(a.mayReach("/config/bank", Right.READ)).isFalse();
        assertThat(a.mayReach("/config/sho", Right.READ)).isFalse();
        assertThat(a.mayReach("/secrets", Right.READ)).isFalse();
        assertThat(a.mayReach("/presence", Right.READ)).isFalse();
    }

    @Test
    void aPlaceholderWithoutAValueGrantsNothingAndAValueCannotWidenTheGrant() {
        Identity cert = Identity.named("alice", List.of(), 0);
        Policy p = new Policy(List.of(rule("all", "{\"subject\":\"*\",\"path\":\"/config/{namespace}/**\",\"rights\":[\"read\"]}")));
        assertThat(p.grantsFor(cert).mayReach("/", Right.READ)).isFalse();
        Identity sneaky = new Identity("x", List.of(), "*", "", "", 0);
        assertThat(p.grantsFor(sneaky).allows("/config/shop/a", Right.READ)).isFalse();
    }

    @Test
    void adminsHoldEverythingAndTheAdminRightIncludesTheOthers() {
        Identity root = Identity.named("root", List.of(Identity.ADMINS), 0);
        assertThat(SIDECARS.grantsFor(root).all()).isTrue();
        assertThat(SIDECARS.grantsFor(root).allows("/anything", Right.ADMIN)).isTrue();
        Policy p = new Policy(List.of(rule("ops", "{\"subject\":\"ops-*\",\"path\":\"/ops/**\",\"rights\":[\"admin\"]}")));
        Grants ops = p.grantsFor(Identity.named("ops-jane", List.of(), 0));
        for (Right r : Right.values()) {
            assertThat(ops.allows("/ops/x", r)).isTrue();
        }
        assertThat(p.grantsFor(Identity.named("dev-joe", List.of(), 0)).allows("/ops/x", Right.READ)).isFalse();
    }

    @Test
    void malformedRulesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> rule("x", "nope")).hasMessageContaining("ACL rule /ctl/acl/rules/x: not JSON");
        assertThatThrownBy(() -> rule("x", "{\"subject\":\"a\",\"path\":\"/a\",\"rights\":[\"fly\"]}"))
                .hasMessageContaining("unknown right \"fly\"");
        assertThatThrownBy(() -> rule("x", "{\"subject\":\"a\",\"path\":\"/a\",\"rights\":[]}"))
                .hasMessageContaining("at least one right");
        assertThatThrownBy(() -> rule("x", "{\"subject\":\"a\",\"path\":\"/a/{user}\",\"rights\":[\"read\"]}"))
                .hasMessageContaining("unknown placeholder {user}");
        assertThatThrownBy(() -> rule("x", "{\"subject\":\"a\",\"path\":\"a/b\",\"rights\":[\"read\"]}"))
                .hasMessageContaining("must start with /");
        assertThatThrownBy(() -> rule("x", "{\"subject\":\"a\",\"path\":\"/a\",\"rights\":[\"read\"],\"deny\":true}"))
                .hasMessageContaining("unknown field \"deny\"");
        assertThatThrownBy(() -> rule("x", "{\"path\":\"/a\",\"rights\":[\"read\"]}")).hasMessageContaining("needs \"subject\"");
    }

    @Test
    void aRuleWritesBackAsItWasRead() {
        Rule r = new Rule("r", "group:dev", "/a/**", Set.of(Right.WATCH, Right.READ));
        assertThat(new String(r.toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"subject\":\"group:dev\",\"path\":\"/a/**\",\"rights\":[\"read\",\"watch\"]}");
        assertThat(Rule.parse(Rule.DIR + "/r", r.toJson())).isEqualTo(r);
    }

    @Test
    void subjectPatternsMatchWholeNames() {
        assertThat(Subjects.matches("system:serviceaccount:shop:*", "system:serviceaccount:shop:web")).isTrue();
        assertThat(Subjects.matches("system:serviceaccount:shop:*", "system:serviceaccount:shopping:web")).isFalse();
        assertThat(Subjects.matches("a*c*e", "abcde")).isTrue();
        assertThat(Subjects.matches("alice", "alice2")).isFalse();
    }
}
