package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.CairnClient;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.SessionInfo;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "sessions", description = "List open sessions: id, TTL, time left (as the leader counts it) and their ephemeral files.")
final class SessionsCommand extends ClientCommand {
    @Override
    public Integer call() {
        List<SessionInfo> sessions = fromLeader();
        if (json()) {
            ArrayNode out = JSON.createArrayNode();
            for (SessionInfo s : sessions) {
                ObjectNode o = JSON.createObjectNode();
                o.put("id", s.getId());
                o.put("ttl_ms", s.getTtlMs());
                if (s.getRemainingMs() >= 0) {
                    o.put("remaining_ms", s.getRemainingMs());
                } else {
                    o.putNull("remaining_ms");
                }
                ArrayNode files = o.putArray("files");
                s.getFilesList().forEach(files::add);
                out.add(o);
            }
            printJson(out);
            return 0;
        }
        println(String.format("%-8s %-8s %-10s %s", "ID", "TTL", "REMAINING", "FILES"));
        for (SessionInfo s : sessions) {
            println(String.format("%-8d %-8s %-10s %s", s.getId(), s.getTtlMs() + "ms",
                    s.getRemainingMs() < 0 ? "?" : s.getRemainingMs() + "ms", String.join(",", s.getFilesList())));
        }
        return 0;
    }

    /** Only the leader times sessions, so ask it; fall back to any member (time left unknown). */
    private List<SessionInfo> fromLeader() {
        CairnClient any = client();
        for (MemberInfo m : any.members()) {
            if (m.getLeader() && !m.getClientAddr().isEmpty()) {
                try (CairnClient leader = root.builder(m.getClientAddr()).build()) {
                    return leader.sessions();
                } catch (RuntimeException e) {
                    break;
                }
            }
        }
        return any.sessions();
    }
}
