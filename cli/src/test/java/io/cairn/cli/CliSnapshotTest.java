package io.cairn.cli;

import static io.cairn.cli.CliTest.assertError;
import static io.cairn.cli.CliTest.cairnWithEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.client.CairnClient;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestCluster;
import io.cairn.node.testing.TestNode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cairn snapshot save, status and restore against real members. */
class CliSnapshotTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void saveStatusAndRestoreMakeAMemberWithTheSameTree() throws Exception {
        Path backup = dir.resolve("cairn.bak");
        long rev;
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            for (int i = 0; i < 300; i++) {
                c.set("/config/app/k" + i, "value " + i, -1);
            }
            rev = c.set("/config/app/k0", "changed", -1);
            CliTest.Run save = cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), "snapshot", "save", backup.toString());
            assertThat(save.code()).as(save.toString()).isZero();
            assertThat(save.line()).startsWith("saved rev " + rev + " to " + backup);
        }
        JsonNode status = JSON.readTree(cairnWithEnv(Map.of(), "snapshot", "status", backup.toString(), "-o", "json").out());
        assertThat(status.get("rev").asLong()).isEqualTo(rev);
        assertThat(status.get("files").asInt()).isGreaterThanOrEqualTo(300);
        assertThat(status.get("history").asText()).endsWith(" to " + rev);
        assertThat(status.get("sha256").asText()).hasSize(64);

        int peer = TestCluster.freePort();
        Path data = dir.resolve("restored");
        CliTest.Run restore = cairnWithEnv(Map.of(), "snapshot", "restore", backup.toString(), "--data-dir", data.toString(),
                "--id", "1", "--members", "1=127.0.0.1:" + peer);
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(restore.line()).startsWith("restored rev " + rev + " (");
        CairnNode member = CairnNode.start(new NodeConfig(1, data, new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0), null, Map.of(), StoreConfig.defaults(), Replica.Options.defaults(), null));
        try (CairnClient c = CairnClient.connect("127.0.0.1:" + member.clientAddress().getPort())) {
            assertThat(member.awaitReady(Duration.ofSeconds(20))).isTrue();
            assertThat(c.get("/config/app/k0").text()).isEqualTo("changed");
            assertThat(c.get("/config/app/k299").text()).isEqualTo("value 299");
            assertThat(c.get("/config/app/k0").rev()).isEqualTo(rev);
            assertThat(c.set("/config/app/k1", "after", -1)).isGreaterThan(rev);
        } finally {
            member.close();
        }
        // A second restore into the same directory writes over nothing.
        CliTest.Run again = cairnWithEnv(Map.of(), "snapshot", "restore", backup.toString(), "--data-dir", data.toString(),
                "--id", "1", "--members", "1=127.0.0.1:" + peer);
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("is not empty");
    }

    @Test
    void aDamagedBackupIsRefusedWithTheReason() throws Exception {
        Path backup = dir.resolve("cut.bak");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/a", "b", -1);
            assertThat(cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), "snapshot", "save", backup.toString()).code()).isZero();
        }
        byte[] whole = Files.readAllBytes(backup);
        Files.write(backup, java.util.Arrays.copyOf(whole, whole.length - 10));
        CliTest.Run status = cairnWithEnv(Map.of(), "snapshot", "status", backup.toString());
        assertThat(status.code()).isEqualTo(2);
        assertThat(status.err()).contains("truncated: ");
        CliTest.Run restore = cairnWithEnv(Map.of(), "snapshot", "restore", backup.toString(), "--data-dir",
                dir.resolve("x").toString(), "--id", "1", "--members", "1=127.0.0.1:1");
        assertThat(restore.err()).contains("truncated: ");
        assertThat(dir.resolve("x")).doesNotExist();
        assertThat(cairnWithEnv(Map.of(), "snapshot", "restore", backup.toString(), "--data-dir", "y", "--id", "1",
                "--members", "1=nohost").err()).contains("\"1=nohost\" is not ID=HOST:PORT");
    }

    @Test
    void savingNeedsTheAdminRightWhenThePolicyIsOn() throws Exception {
        Path tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, "root-tok,root,0,\"cairn:admins\"\nann-tok,ann,1,\"developers\"\n");
        try (TestNode node = TestNode.start(StoreConfig.defaults(), null, new AuthConfig(true, List.of(), tokens, null, null, null, null, null))) {
            Map<String, String> env = new HashMap<>(Map.of("CAIRN_ENDPOINTS", node.endpoint(), "CAIRN_TOKEN", "ann-tok"));
            CliTest.Run denied = cairnWithEnv(env, "snapshot", "save", dir.resolve("ann.bak").toString());
            assertError(denied, "PERMISSION_DENIED");
            assertThat(denied.err()).contains("lacks the admin right on /");
            assertThat(dir.resolve("ann.bak")).doesNotExist();
            try (var left = Files.list(dir)) {
                assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
            }
            env.put("CAIRN_TOKEN", "root-tok");
            assertThat(cairnWithEnv(env, "snapshot", "save", dir.resolve("root.bak").toString()).code()).isZero();
        }
    }
}
