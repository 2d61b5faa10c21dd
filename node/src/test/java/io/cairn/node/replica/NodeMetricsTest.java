package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.testing.TestNode;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /metrics of a real member after real requests: the histograms count them, the gauges say what it holds, the JVM's are there. */
class NodeMetricsTest {
    static double value(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(body);
        assertThat(m.find()).as("%s in /metrics", series).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theHistogramsAndGaugesFollowWhatTheMemberDid() throws Exception {
        try (TestNode node = TestNode.start(); WireClient c = new WireClient(node.clientAddress()); WireClient watcher = new WireClient(node.clientAddress())) {
            int tag = 0;
            for (int i = 0; i < 10; i++) {
                Response r = c.call(Request.newBuilder().setTag(++tag).setVerb(Verb.SET).setPath("/m/k" + i)
                        .setValue(ByteString.copyFromUtf8("v")).setRev(-1).build());
                assertThat(r.hasErrCode()).isFalse();
            }
            for (int i = 0; i < 5; i++) {
                c.call(Request.newBuilder().setTag(++tag).setVerb(Verb.GET).setPath("/m/k1").build());
            }
            watcher.send(Request.newBuilder().setTag(1).setVerb(Verb.WATCH).setPath("/m/**").build());
            Response open = c.call(Request.newBuilder().setTag(++tag).setVerb(Verb.SESSION_OPEN).setTtlMs(10_000).build());
            c.call(Request.newBuilder().setTag(++tag).setVerb(Verb.SET).setPath("/m/eph").setValue(ByteString.copyFromUtf8("e"))
                    .setRev(-1).setSession(open.getSession()).build());
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(value(body, "cairn_request_duration_seconds_count{verb=\"SET\"}")).isGreaterThanOrEqualTo(10);
            assertThat(value(body, "cairn_request_duration_seconds_count{verb=\"GET\"}")).isEqualTo(5);
            assertThat(body).doesNotContain("verb=\"WATCH\"");
            assertThat(value(body, "cairn_request_duration_seconds_bucket{verb=\"GET\",le=\"+Inf\"}")).isEqualTo(5);
            assertThat(value(body, "cairn_commit_duration_seconds_count")).isGreaterThanOrEqualTo(11);
            assertThat(value(body, "cairn_commit_duration_seconds_sum")).isGreaterThan(0);
            assertThat(value(body, "cairn_wal_sync_duration_seconds_count")).isGreaterThanOrEqualTo(1);
            assertThat(value(body, "cairn_watch_delivery_seconds_count")).isGreaterThanOrEqualTo(1);
            assertThat(value(body, "cairn_client_connections")).isEqualTo(2);
            assertThat(value(body, "cairn_watches")).isEqualTo(1);
            assertThat(value(body, "cairn_sessions")).isEqualTo(1);
            assertThat(value(body, "cairn_ephemeral_files")).isEqualTo(1);
            assertThat(value(body, "cairn_history_revisions")).isGreaterThanOrEqualTo(11);
            assertThat(value(body, "cairn_apply_lag_slots")).isZero();
            assertThat(body).contains("jvm_memory_used_bytes{area=\"heap\"}").contains("jvm_threads_current").contains("process_cpu_seconds_total");
        }
    }
}
