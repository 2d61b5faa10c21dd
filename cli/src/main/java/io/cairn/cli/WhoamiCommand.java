package io.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

@Command(name = "whoami", description = {"Show the identity the member sees this client as: its name and groups, and",
        "for a Kubernetes service account its namespace, service account and pod."})
final class WhoamiCommand extends ClientCommand {
    @Override
    public Integer call() throws Exception {
        JsonNode who = JSON.readTree(client().whoami());
        if (json()) {
            printJson(who);
            return 0;
        }
        println(who.path("name").asText());
        StringBuilder groups = new StringBuilder();
        who.path("groups").forEach(g -> groups.append(groups.length() == 0 ? "" : ", ").append(g.asText()));
        println("groups: " + groups);
        for (String f : new String[] {"namespace", "serviceAccount", "pod"}) {
            if (who.has(f)) {
                println(f + ": " + who.get(f).asText());
            }
        }
        if (who.has("expiresAtMs")) {
            println("expires: " + java.time.Instant.ofEpochMilli(who.get("expiresAtMs").asLong()));
        }
        return 0;
    }
}
