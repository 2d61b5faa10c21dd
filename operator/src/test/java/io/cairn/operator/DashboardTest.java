package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's Grafana dashboard draws from metrics that exist: every series a panel's query
 * names is in a real member's /metrics (after writes, reads, a watch and a session) or in the
 * operator's (after a reconcile and a webhook review).
 */
class DashboardTest {
    private static final Pattern METRIC = Pattern.compile("\\b((?:cairn|jvm|process)_[a-z0-9_]+)\\b");

    @Test
    void everyQueryOfTheDashboardNamesAnExportedSeries() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(Path.of("..", "helm", "cairn-operator", "dashboards", "cairn.json")));
        Set<String> named = new TreeSet<>();
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode t : panel.path("targets")) {
                exprs.add(t.get("expr").asText());
                Matcher m = METRIC.matcher(t.get("expr").asText());
                while (m.find()) {
                    named.add(m.group(1));
                }
            }
        }
        assertThat(exprs).hasSizeGreaterThan(20);
        String exported;
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            for (int i = 0; i < 5; i++) {
                c.set("/d/k" + i, "v", -1);
                c.get("/d/k" + i);
            }
            try (var w = c.watch("/d/**", 0, e -> { }); var s = c.openSession(java.time.Duration.ofSeconds(10))) {
                s.set("/d/eph", "e", -1);
                c.set("/d/k0", "again", -1);
                exported = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            }
        }
        OperatorMetrics operator = new OperatorMetrics();
        operator.reconcileSeconds.labelValues("Running").observe(0.01);
        operator.reconcileErrors.labelValues("InvalidSpec").inc();
        operator.webhookReviews.labelValues("injected").inc();
        exported += operator.scrape();
        for (String series : named) {
            assertThat(exported).as("%s, which the dashboard queries", series).containsPattern("(?m)^" + series + "[{ ]");
        }
    }
}
