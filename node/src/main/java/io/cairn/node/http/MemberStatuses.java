package io.cairn.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.proto.Msg.MemberInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * GET /v1/members: every member as this one knows them, each asked for its own /v1/status over
 * its HTTP address (at most a second each, all at once), so the console shows role, ballot,
 * applied slot, lag behind the furthest member, and whether it answered. Over TLS the members
 * are listed without asking them (this member holds no client certificate to show them).
 */
final class MemberStatuses {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private MemberStatuses() {}

    static CompletableFuture<ObjectNode> of(List<MemberInfo> members, boolean ask) {
        List<CompletableFuture<JsonNode>> statuses = new ArrayList<>();
        for (MemberInfo m : members) {
            statuses.add(ask && m.hasHttpAddr() && !m.getHttpAddr().isEmpty() ? status(m.getHttpAddr())
                    : CompletableFuture.completedFuture(null));
        }
        return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).thenApply(x -> {
            long furthest = 0;
            for (CompletableFuture<JsonNode> s : statuses) {
                JsonNode n = s.join();
                if (n != null) {
                    furthest = Math.max(furthest, n.path("applied_slot").asLong());
                }
            }
            ObjectNode out = JSON.createObjectNode();
            ArrayNode list = out.putArray("members");
            for (int i = 0; i < members.size(); i++) {
                MemberInfo m = members.get(i);
                JsonNode s = statuses.get(i).join();
                ObjectNode o = list.addObject().put("id", m.getId()).put("role", m.getLearner() ? "learner" : "voter")
                        .put("leader", m.getLeader()).put("client", m.getClientAddr()).put("http", m.getHttpAddr())
                        .put("peer", m.getPeerAddr());
                if (!ask) {
                    o.put("reachable", (String) null);
                } else if (s == null) {
                    o.put("reachable", false);
                } else {
                    o.put("reachable", true).put("ballot", s.path("ballot").asText()).put("applied_slot", s.path("applied_slot").asLong())
                            .put("rev", s.path("rev").asLong()).put("lag", furthest - s.path("applied_slot").asLong());
                }
            }
            return out;
        });
    }

    private static CompletableFuture<JsonNode> status(String httpAddr) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + httpAddr + "/v1/status")).timeout(Duration.ofSeconds(1)).build();
        return HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
            if (e != null || r.statusCode() != 200) {
                return null;
            }
            try {
                return JSON.readTree(r.body());
            } catch (Exception bad) {
                return null;
            }
        });
    }
}
