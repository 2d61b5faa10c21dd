package io.cairn.node.acl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.CairnNode;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.testing.TempDirs;
import io.cairn.node.testing.TestCluster;
import io.cairn.node.testing.TestTokens;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Compare;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Txn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pod's sidecar reads its namespace's config and writes only its own presence, through every
 * interface (the client protocol's Cairn and Doozer verbs, watches, transactions, sessions, the
 * HTTP gateway), on a three-member cluster that verifies real service-account JWTs against a
 * JWKS file made here; policy changes take effect on every member at the revision they commit.
 */
class AclClusterTest {
    private static final String ISSUER = TestTokens.ISSUER;
    private static final String ADMIN_TOKEN = "admin-3c0d2f9e41b7";
    private static final String DEV_TOKEN = "dev-8a41cc07e2d5";
    private static Path dir;
    private static TestTokens issuer;
    private static TestCluster cluster;
    private static String podA;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("cairn-acl");
        issuer = TestTokens.create(dir);
        Files.writeString(dir.resolve("tokens.csv"), "# token,user,uid,groups\n" + ADMIN_TOKEN + ",root,0,\"cairn:admins\"\n"
                + DEV_TOKEN + ",dev,1,\"developers\"\n");
        cluster = TestCluster.start(new AuthConfig(true, List.of(), dir.resolve("tokens.csv"), dir.resolve("jwks.json").toString(),
                null, null, ISSUER, "cairn"));
        podA = issuer.token("shop", "web", "web-0", "cairn", 3_600_000);
        try (WireClient admin = as(0, ADMIN_TOKEN)) {
            set(admin, "/ctl/acl/rules/sidecar-config",
                    "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/config/{namespace}/**\",\"rights\":[\"read\",\"watch\"]}");
            set(admin, "/ctl/acl/rules/sidecar-presence",
                    "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/presence/{namespace}/*/{pod}\",\"rights\":[\"write\"]}");
            set(admin, "/config/shop/web/url", "postgres://shop");
            set(admin, "/config/shop/web/pool", "8");
            set(admin, "/config/bank/api/key", "s3cret");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        TempDirs.deleteTree(dir);
    }

    private static int tags;

    static Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(++tags).build());
    }

    /** A connection to member {@code index} authenticated with {@code token} (null: anonymous). */
    static WireClient as(int index, String token) {
        WireClient c = new WireClient(cluster.member(index).clientAddress());
        if (token != null) {
            Response r = call(c, Request.newBuilder().setVerb(Verb.ACCESS).setValue(ByteString.copyFromUtf8(token)));
            assertThat(r.hasErrCode()).as("ACCESS: %s", r.getErrDetail()).isFalse();
        }
        return c;
    }

    static long set(WireClient c, String path, String value) {
        Response r = TestCluster.untilAvailable(
                () -> call(c, Request.newBuilder().setVerb(Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(-1)));
        assertThat(r.hasErrCode()).as("SET %s: %s %s", path, r.getErrCode(), r.getErrDetail()).isFalse();
        return r.getRev();
    }

    static void assertDenied(Response r, String right, String path) {
        assertThat(r.getErrCode()).as(r.toString()).isEqualTo(Response.Err.PERMISSION_DENIED);
        assertThat(r.getErrDetail()).contains("lacks the " + right + " right on " + path);
    }

    @Test
    void aPodReadsItsNamespacesConfigAndNothingElseThroughTheClientProtocol() {
        try (WireClient pod = as(1, podA)) {
            Response who = call(pod, Request.newBuilder().setVerb(Verb.WHOAMI));
            assertThat(who.getValue().toStringUtf8()).contains("\"name\":\"system:serviceaccount:shop:web\"")
                    .contains("\"namespace\":\"shop\"").contains("\"pod\":\"web-0\"");
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.GET).setPath("/config/shop/web/url")).getValue().toStringUtf8())
                    .startsWith("postgres://shop");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.GET).setPath("/config/bank/api/key")), "read", "/config/bank/api/key");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.STAT).setPath("/config/bank/api/key")), "read", "/config/bank/api/key");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.HISTORY).setPath("/config/bank/api/key")), "read", "/config/bank/api/key");
            // Listings show only what the pod may read; a listing of nothing it may read is refused, not empty.
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.GETDIR).setPath("/config").setLimit(100)).getNamesList())
                    .containsExactly("shop");
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.GETDIR).setPath("/").setLimit(100)).getNamesList())
                    .containsExactly("config");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.GETDIR).setPath("/config/bank").setLimit(100)), "read", "/config/bank");
            Response walk = call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/config/**").setLimit(1));
            assertThat(walk.getEntriesList()).extracting(e -> e.getPath()).containsExactly("/config/shop/web/pool");
            Response next = call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/config/**").setOffset(1).setLimit(10));
            assertThat(next.getEntriesList()).extracting(e -> e.getPath()).containsExactly("/config/shop/web/url");
            assertThat(next.getMore()).isFalse();
            // Doozer's WALK, one entry per offset, sees the same.
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/**").setOffset(0)).getPath())
                    .isEqualTo("/config/shop/web/pool");
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/**").setOffset(2)).getErrCode())
                    .isEqualTo(Response.Err.RANGE);
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/config/bank/**").setLimit(10)), "read", "/config/bank/");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.WALK).setPath("/ctl/**").setLimit(10)), "read", "/ctl/");
            Response diff = call(pod, Request.newBuilder().setVerb(Verb.DIFF).setPath("/").setRev(1));
            assertThat(diff.getChangesList()).extracting(c -> c.getPath()).containsExactly("/config/shop/web/pool", "/config/shop/web/url");
        }
    }

    @Test
    void aPodWritesOnlyItsOwnPresence() {
        try (WireClient pod = as(2, podA)) {
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.SET).setPath("/presence/shop/web/web-0")
                    .setValue(ByteString.copyFromUtf8("up")).setRev(-1)).hasErrCode()).isFalse();
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.SET).setPath("/presence/shop/web/web-1")
                    .setValue(ByteString.copyFromUtf8("up")).setRev(-1)), "write", "/presence/shop/web/web-1");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.SET).setPath("/config/shop/web/url")
                    .setValue(ByteString.copyFromUtf8("evil")).setRev(-1)), "write", "/config/shop/web/url");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.DEL).setPath("/config/bank/api/key").setRev(-1)),
                    "write", "/config/bank/api/key");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.SET).setPath("/ctl/acl/rules/mine")
                    .setValue(ByteString.copyFromUtf8("{\"subject\":\"*\",\"path\":\"/**\",\"rights\":[\"admin\"]}")).setRev(-1)),
                    "admin", "/ctl/acl/rules/mine");
            // A transaction needs every right of both branches, whichever runs.
            Txn txn = Txn.newBuilder().addCompare(Compare.newBuilder().setPath("/config/shop/web/url").setTarget(Compare.Target.EXISTS)
                            .setOp(Compare.Op.EQUAL).setExists(true))
                    .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/presence/shop/web/web-0").setValue(ByteString.copyFromUtf8("x")))
                    .addFailure(Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/bank/api/key").setValue(ByteString.copyFromUtf8("x")))
                    .build();
            Response t = call(pod, Request.newBuilder().setVerb(Verb.TXN).setTxn(txn));
            assertThat(t.getErrCode()).isEqualTo(Response.Err.PERMISSION_DENIED);
            assertThat(t.getErrDetail()).contains("lacks the write right on /config/bank/api/key");
            // A session and an ephemeral presence file of its own.
            Response open = call(pod, Request.newBuilder().setVerb(Verb.SESSION_OPEN).setTtlMs(5_000));
            assertThat(open.hasErrCode()).isFalse();
            call(pod, Request.newBuilder().setVerb(Verb.DEL).setPath("/presence/shop/web/web-0").setRev(-1));
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.SET).setPath("/presence/shop/web/web-0")
                    .setValue(ByteString.copyFromUtf8("ephemeral")).setRev(-1).setSession(open.getSession())).getErrDetail()).isEmpty();
            Response sessions = call(pod, Request.newBuilder().setVerb(Verb.SESSIONS));
            assertThat(sessions.getSessionsList()).extracting(s -> s.getOwner()).containsOnly("system:serviceaccount:shop:web");
            try (WireClient dev = as(0, DEV_TOKEN)) {
                Response close = call(dev, Request.newBuilder().setVerb(Verb.SESSION_CLOSE).setSession(open.getSession()));
                assertThat(close.getErrCode()).isEqualTo(Response.Err.PERMISSION_DENIED);
                assertThat(close.getErrDetail()).contains("belongs to system:serviceaccount:shop:web");
                assertThat(call(dev, Request.newBuilder().setVerb(Verb.SESSIONS)).getSessionsList()).isEmpty();
            }
            try (WireClient anon = as(1, null)) {
                Response close = call(anon, Request.newBuilder().setVerb(Verb.SESSION_CLOSE).setSession(open.getSession()));
                assertThat(close.getErrCode()).as("an anonymous caller ends another's session").isEqualTo(Response.Err.PERMISSION_DENIED);
            }
            assertThat(call(pod, Request.newBuilder().setVerb(Verb.SESSION_CLOSE).setSession(open.getSession())).hasErrCode()).isFalse();
        }
    }

    @Test
    void watchesAreRefusedWhereNothingIsVisibleAndNeverCarryWhatIsNot() throws Exception {
        try (WireClient pod = as(0, podA); WireClient admin = as(1, ADMIN_TOKEN)) {
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.WATCH).setPath("/config/bank/**")), "watch", "/config/bank/");
            assertDenied(call(pod, Request.newBuilder().setVerb(Verb.WAIT).setPath("/**").setRev(1).setPath("/presence/**")),
                    "watch", "/presence/");
            pod.send(Request.newBuilder().setTag(900).setVerb(Verb.WATCH).setPath("/config/**").build());
            long bank = set(admin, "/config/bank/api/key", "rotated");
            long shop = set(admin, "/config/shop/web/pool", "16");
            Response first = pod.read();
            assertThat(first.getTag()).isEqualTo(900);
            assertThat(first.getPath()).isEqualTo("/config/shop/web/pool");
            assertThat(first.getRev()).isEqualTo(shop).isGreaterThan(bank);
            assertThat(first.getAuthor()).isEqualTo("root");
            assertThat(first.getTimeMs()).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 1_000);
            // Doozer's WAIT from an old revision replays only what the pod may see, too.
            Response waited = call(pod, Request.newBuilder().setVerb(Verb.WAIT).setPath("/config/**").setRev(bank));
            assertThat(waited.getPath()).isEqualTo("/config/shop/web/pool");
        }
    }

    @Test
    void callersWithoutAValidCredentialAreRefusedWithTheReason() throws Exception {
        try (WireClient anon = as(0, null)) {
            assertDenied(call(anon, Request.newBuilder().setVerb(Verb.GET).setPath("/config/shop/web/url")), "read", "/config/shop/web/url");
            assertThat(call(anon, Request.newBuilder().setVerb(Verb.WHOAMI)).getValue().toStringUtf8()).contains("\"name\":\"anonymous\"");
            Map<String, String> refusals = Map.of(
                    "no-such-token", "unknown token",
                    issuer.token("shop", "web", "web-0", "cairn", -60_000), "expired",
                    issuer.token("shop", "web", "web-0", "vault", 3_600_000), "not for audience \"cairn\"",
                    TestTokens.forged("shop", "web", "web-0", "cairn"), "not signed by a key of the service-account issuer");
            for (Map.Entry<String, String> r : refusals.entrySet()) {
                Response a = call(anon, Request.newBuilder().setVerb(Verb.ACCESS).setValue(ByteString.copyFromUtf8(r.getKey())));
                assertThat(a.getErrCode()).isEqualTo(Response.Err.PERMISSION_DENIED);
                assertThat(a.getErrDetail()).startsWith("ACCESS refused: ").contains(r.getValue());
            }
        }
    }

    @Test
    void theHttpGatewayAppliesTheSamePolicy() throws Exception {
        String base = "http://127.0.0.1:" + cluster.member(1).httpAddress().getPort();
        assertThat(get(base + "/v1/kv/config/shop/web/url", podA).statusCode()).isEqualTo(200);
        HttpResponse<String> denied = get(base + "/v1/kv/config/bank/api/key", podA);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).contains("lacks the read right on /config/bank/api/key");
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/config/shop/web/url"))
                .header("Authorization", "Bearer " + podA).PUT(HttpRequest.BodyPublishers.ofString("evil")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(put.body()).contains("lacks the write right");
        HttpResponse<String> mine = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/presence/shop/web/web-0"))
                .header("Authorization", "Bearer " + podA).PUT(HttpRequest.BodyPublishers.ofString("up")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(get(base + "/v1/walk?glob=/config/**", podA).body()).contains("/config/shop/web/url").doesNotContain("bank");
        assertThat(get(base + "/v1/ls/config", podA).body()).contains("\"names\":[\"shop\"]");
        assertThat(get(base + "/v1/watch?glob=/config/bank/**", podA).statusCode()).isEqualTo(403);
        assertThat(get(base + "/v1/kv/config/shop/web/url", null).statusCode()).isEqualTo(403);
        HttpResponse<String> bad = get(base + "/v1/kv/config/shop/web/url", "forged");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.body()).contains("bearer token refused: unknown token");
        assertThat(get(base + "/v1/whoami", podA).body()).contains("system:serviceaccount:shop:web");
        // Who changed what, and when.
        HttpResponse<String> history = get(base + "/v1/history/presence/shop/web/web-0", ADMIN_TOKEN);
        assertThat(history.body()).contains("\"author\":\"system:serviceaccount:shop:web\"").contains("\"time\":\"20");
        // An SSE watch carries only what the pod may see.
        HttpURLConnection sse = (HttpURLConnection) URI.create(base + "/v1/watch?glob=/config/**").toURL().openConnection();
        sse.setRequestProperty("Authorization", "Bearer " + podA);
        sse.setReadTimeout(10_000);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(sse.getInputStream(), StandardCharsets.UTF_8));
             WireClient admin = as(0, ADMIN_TOKEN)) {
            set(admin, "/config/bank/api/key", "again");
            set(admin, "/config/shop/web/url", "postgres://shop2");
            String data;
            do {
                data = lines.readLine();
            } while (!data.startsWith("data: "));
            assertThat(data).contains("/config/shop/web/url").contains("\"author\":\"root\"").doesNotContain("bank");
        } finally {
            sse.disconnect();
        }
    }

    @Test
    void policyChangesTakeEffectOnEveryMemberAtTheRevisionTheyCommit() {
        try (WireClient admin = as(2, ADMIN_TOKEN)) {
            set(admin, "/team/plan", "v1");
            List<WireClient> devs = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    devs.add(as(i, DEV_TOKEN));
                }
                for (WireClient dev : devs) {
                    assertDenied(call(dev, Request.newBuilder().setVerb(Verb.GET).setPath("/team/plan")), "read", "/team/plan");
                }
                set(admin, "/ctl/acl/rules/developers", "{\"subject\":\"group:developers\",\"path\":\"/team/**\",\"rights\":[\"read\",\"write\"]}");
                // A linearizable read on any member, right after the grant commits, is judged by it.
                for (WireClient dev : devs) {
                    assertThat(call(dev, Request.newBuilder().setVerb(Verb.GET).setPath("/team/plan")).getValue().toStringUtf8()).isEqualTo("v1");
                }
                long wrote = set(devs.get(1), "/team/plan", "v2");
                assertThat(call(admin, Request.newBuilder().setVerb(Verb.HISTORY).setPath("/team/plan")).getVersionsList())
                        .extracting(v -> v.getAuthor()).containsExactly("root", "dev");
                Response check = call(admin, Request.newBuilder().setVerb(Verb.ACL_CHECK).setPath("/team/x")
                        .setValue(ByteString.copyFromUtf8("{\"name\":\"dev\",\"groups\":[\"developers\"],\"right\":\"write\"}")));
                assertThat(check.getValue().toStringUtf8()).isEqualTo("true");
                assertDenied(call(devs.get(0), Request.newBuilder().setVerb(Verb.ACL_CHECK).setPath("/team/x")
                        .setValue(ByteString.copyFromUtf8("{\"name\":\"dev\",\"right\":\"write\"}"))), "read", "/ctl/acl/rules");
                call(admin, Request.newBuilder().setVerb(Verb.DEL).setPath("/ctl/acl/rules/developers").setRev(-1));
                for (WireClient dev : devs) {
                    assertDenied(call(dev, Request.newBuilder().setVerb(Verb.GET).setPath("/team/plan")), "read", "/team/plan");
                    assertDenied(call(dev, Request.newBuilder().setVerb(Verb.SET).setPath("/team/plan")
                            .setValue(ByteString.copyFromUtf8("v3")).setRev(wrote)), "write", "/team/plan");
                }
            } finally {
                devs.forEach(WireClient::close);
            }
        }
    }

    @Test
    void onlyAnAdminChangesMembership() {
        try (WireClient dev = as(0, DEV_TOKEN)) {
            Response r = call(dev, Request.newBuilder().setVerb(Verb.MEMBER_REMOVE)
                    .setMember(io.cairn.proto.Msg.MemberInfo.newBuilder().setId(3)));
            assertDenied(r, "admin", "/ctl/members");
        }
        for (CairnNode m : cluster.members()) {
            assertThat(m.leader()).isNotZero();
        }
    }

    @Test
    void aMemberJoinsByShowingAnAdminsToken() throws Exception {
        Path token = dir.resolve("join-token");
        Files.writeString(token, ADMIN_TOKEN + "\n");
        Path data = Files.createTempDirectory("cairn-acl-join");
        AuthConfig auth = new AuthConfig(true, List.of(), dir.resolve("tokens.csv"), dir.resolve("jwks.json").toString(),
                null, null, ISSUER, "cairn", token);
        CairnNode joiner = CairnNode.start(new io.cairn.node.NodeConfig(4, data, new java.net.InetSocketAddress("127.0.0.1", 0),
                new java.net.InetSocketAddress("127.0.0.1", 0), new java.net.InetSocketAddress("127.0.0.1", 0), Map.of(),
                io.cairn.node.store.StoreConfig.defaults(), io.cairn.node.replica.Replica.Options.defaults(),
                cluster.member(0).clientAddress()).withAuth(auth));
        try (WireClient admin = as(0, ADMIN_TOKEN)) {
            assertThat(joiner.awaitReady(java.time.Duration.ofSeconds(20))).isTrue();
            assertThat(call(admin, Request.newBuilder().setVerb(Verb.MEMBERS)).getMembersList()).extracting(m -> m.getId())
                    .contains(4L);
            Response removed = call(admin, Request.newBuilder().setVerb(Verb.MEMBER_REMOVE)
                    .setMember(io.cairn.proto.Msg.MemberInfo.newBuilder().setId(4)));
            assertThat(removed.hasErrCode()).as(removed.getErrDetail()).isFalse();
        } finally {
            joiner.close();
            TempDirs.deleteTree(data);
        }
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
