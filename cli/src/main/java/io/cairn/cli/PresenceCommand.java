package io.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Page;
import io.cairn.client.Versioned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "presence", description = "Show presence entries (/presence/NAMESPACE/APP/POD) as a table.")
final class PresenceCommand extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "/presence",
            description = "A subtree of /presence, like /presence/default/web (default /presence).")
    String prefix;

    @Override
    public Integer call() {
        if (!prefix.equals("/presence") && !prefix.startsWith("/presence/")) {
            throw new CairnCli.UsageException("presence prefixes start with /presence, got \"" + prefix + "\"");
        }
        String glob = prefix.endsWith("/") ? prefix + "**" : prefix + "/**";
        Page<Versioned> all = client().walk(glob, 0);
        ArrayNode out = JSON.createArrayNode();
        if (!json()) {
            println(String.format("%-16s %-20s %-28s %-8s %s", "NAMESPACE", "APP", "POD", "REV", "DETAILS"));
        }
        for (Versioned v : all.items()) {
            String[] parts = v.path().substring("/presence/".length()).split("/", 3);
            String ns = parts.length > 0 ? parts[0] : "";
            String app = parts.length > 1 ? parts[1] : "";
            String pod = parts.length > 2 ? parts[2] : "";
            JsonNode body = parse(v.text());
            if (json()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("namespace", ns);
                o.put("app", app);
                o.put("pod", pod);
                o.put("rev", v.rev());
                o.set("value", body == null ? JSON.getNodeFactory().textNode(v.text()) : body);
                out.add(o);
            } else {
                println(String.format("%-16s %-20s %-28s %-8d %s", ns, app, pod, v.rev(), summary(body, v.value())));
            }
        }
        if (json()) {
            printJson(out);
        }
        return 0;
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String summary(JsonNode body, byte[] raw) {
        if (body == null) {
            return oneLine(raw);
        }
        StringBuilder sb = new StringBuilder();
        body.fields().forEachRemaining(e -> sb.append(sb.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                .append(oneLine(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString())));
        return sb.toString();
    }
}
