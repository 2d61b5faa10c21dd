package io.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "members", description = {
        "List the members: id, role, leader, addresses and the revision each has applied.",
        "  cairn members add ID --peer H:P --client H:P --http H:P   add a learner",
        "  cairn members promote ID                                  make a caught-up learner a voter",
        "  cairn members remove ID                                   remove a member (the leader hands over first)"})
final class MembersCommand extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ACTION", description = "list (default), add, promote or remove")
    String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "ID")
    Long id;

    @Option(names = "--peer", paramLabel = "HOST:PORT")
    String peer;

    @Option(names = "--client", paramLabel = "HOST:PORT")
    String clientAddr;

    @Option(names = "--http", paramLabel = "HOST:PORT")
    String httpAddr;

    @Override
    public Integer call() {
        String a = action == null ? "list" : action;
        switch (a) {
            case "list" -> list();
            case "add", "promote", "remove" -> change(a);
            default -> throw new CairnCli.UsageException("unknown members action \"" + a + "\" (use list, add, promote or remove)");
        }
        return 0;
    }

    private void change(String a) {
        if (id == null || id < 1) {
            throw new CairnCli.UsageException("members " + a + " needs a member ID (a positive integer)");
        }
        MemberInfo.Builder m = MemberInfo.newBuilder().setId(id);
        Verb verb = switch (a) {
            case "add" -> {
                if (peer == null || clientAddr == null || httpAddr == null) {
                    throw new CairnCli.UsageException("members add needs --peer, --client and --http addresses");
                }
                m.setPeerAddr(peer).setClientAddr(clientAddr).setHttpAddr(httpAddr);
                yield Verb.MEMBER_ADD;
            }
            case "promote" -> Verb.MEMBER_PROMOTE;
            default -> Verb.MEMBER_REMOVE;
        };
        long rev = client().changeMember(verb, m.build());
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("action", a);
            o.put("rev", rev);
            printJson(o);
        } else {
            println(a + " member " + id + ": done at rev " + rev);
        }
    }

    private void list() {
        List<MemberInfo> members = client().members();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(800)).build();
        ArrayNode out = JSON.createArrayNode();
        if (!json()) {
            println(String.format("%-4s %-8s %-6s %-22s %-22s %-22s %s", "ID", "ROLE", "LEADER", "CLIENT", "PEER", "HTTP", "APPLIED"));
        }
        for (MemberInfo m : members) {
            Long rev = appliedRev(http, m.getHttpAddr());
            String role = m.getLearner() ? "learner" : "voter";
            if (json()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("id", m.getId());
                o.put("role", role);
                o.put("leader", m.getLeader());
                o.put("client", m.getClientAddr());
                o.put("peer", m.getPeerAddr());
                o.put("http", m.getHttpAddr());
                if (rev == null) {
                    o.putNull("applied_rev");
                } else {
                    o.put("applied_rev", rev);
                }
                out.add(o);
            } else {
                println(String.format("%-4d %-8s %-6s %-22s %-22s %-22s %s", m.getId(), role, m.getLeader() ? "*" : "",
                        m.getClientAddr(), m.getPeerAddr(), m.getHttpAddr(), rev == null ? "unreachable" : rev.toString()));
            }
        }
        if (json()) {
            printJson(out);
        }
    }

    /** The revision a member has applied, from its own status page; null when it does not answer. */
    private static Long appliedRev(HttpClient http, String httpAddr) {
        JsonNode n = status(http, httpAddr);
        return n == null ? null : n.get("rev").asLong();
    }

    /** A member's /v1/status (role, leader, ballot, applied slot, rev), or null when it does not answer. */
    static JsonNode status(HttpClient http, String httpAddr) {
        if (httpAddr == null || httpAddr.isEmpty()) {
            return null;
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + httpAddr + "/v1/status"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }
}
