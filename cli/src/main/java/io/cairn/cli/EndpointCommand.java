package io.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.proto.Msg.MemberInfo;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "endpoint", description = {"Check each endpoint on its own, as etcdctl's endpoint commands do:",
        "  cairn endpoint health   reachable, and how long a linearizable read took there once connected (exit 1 if any is not)",
        "  cairn endpoint status   and the member behind it: id, role, leader, ballot, revision, applied slot",
        "A stopped member answers nothing: --timeout bounds the wait for each."})
final class EndpointCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "health|status")
    String what;

    @Override
    public Integer call() {
        if (!what.equals("health") && !what.equals("status")) {
            throw new CairnCli.UsageException("endpoint takes health or status, got \"" + what + "\"");
        }
        boolean status = what.equals("status");
        takeOptions();
        String list = root.endpointList();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(800)).build();
        ArrayNode rows = JSON.createArrayNode();
        boolean allHealthy = true;
        for (String endpoint : endpoints(list)) {
            ObjectNode o = check(endpoint, status, http);
            allHealthy &= o.get("healthy").asBoolean();
            rows.add(o);
        }
        if (json()) {
            printJson(rows);
        } else if (status) {
            // status reads best as a table, which is its text form.
            new Output.Printer(Output.TABLE, root.out).print(rows);
        } else {
            for (JsonNode o : rows) {
                println(o.get("healthy").asBoolean()
                        ? o.get("endpoint").asText() + " is healthy: read rev " + o.get("rev").asLong() + " in " + o.get("took_ms").asText() + " ms"
                        : o.get("endpoint").asText() + " is unhealthy: " + o.get("error").asText());
            }
        }
        return allHealthy ? 0 : CairnCli.EXIT_ERROR;
    }

    private static List<String> endpoints(String list) {
        List<String> out = new ArrayList<>();
        for (String e : list.split(",")) {
            if (!e.isBlank()) {
                out.add(e.trim());
            }
        }
        if (out.isEmpty()) {
            throw new CairnCli.UsageException("no endpoints to check");
        }
        return out;
    }

    /** One endpoint, through a client of its own: a linearizable read, then (status) who answered it. */
    private ObjectNode check(String endpoint, boolean status, HttpClient http) {
        ObjectNode o = JSON.createObjectNode();
        o.put("endpoint", endpoint);
        try (CairnClient c = root.builder(endpoint).build()) {
            c.rev(); // connects; what is timed below is one read on the open connection
            long began = System.nanoTime();
            long rev = c.rev().rev();
            double tookMs = Math.round((System.nanoTime() - began) / 10_000.0) / 100.0;
            o.put("healthy", true);
            o.put("rev", rev);
            o.put("took_ms", tookMs);
            if (status) {
                MemberInfo self = null;
                for (MemberInfo m : c.members()) {
                    if (endpoint.equals(m.getClientAddr())) {
                        self = m;
                    }
                }
                JsonNode st = self == null ? null : MembersCommand.status(http, self.getHttpAddr());
                o.put("id", self == null ? null : self.getId());
                o.put("role", st == null ? (self == null ? "" : "unknown") : st.path("role").asText());
                o.put("leader", st == null ? null : st.path("leader").asLong());
                o.put("ballot", st == null ? "" : st.path("ballot").asText());
                o.put("applied_slot", st == null ? null : st.path("applied_slot").asLong());
            }
        } catch (CairnException e) {
            o.put("healthy", false);
            o.put("error", e.code() + ": " + e.getMessage());
        }
        return o;
    }
}
