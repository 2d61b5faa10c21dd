package io.cairn.node.acl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.node.store.Err;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Paths;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One grant of the policy, stored as JSON at {@code /ctl/acl/rules/NAME}:
 * {@code {"subject": "system:serviceaccount:*", "path": "/config/{namespace}/**", "rights": ["read", "watch"]}}.
 *
 * <p>The subject is an identity name, or {@code group:NAME} for everyone in a group; {@code *}
 * in it matches any characters. The path is a glob (as WALK and WATCH take) that may hold the
 * placeholders {@code {namespace}}, {@code {serviceaccount}} and {@code {pod}}, filled in from
 * the caller's identity; a rule whose placeholder the caller has no value for grants it nothing.
 */
public record Rule(String name, String subject, String path, Set<Right> rights) {
    public static final String DIR = "/ctl/acl/rules";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
    private static final Set<String> PLACEHOLDERS = Set.of("namespace", "serviceaccount", "pod");

    public Rule {
        rights = Set.copyOf(rights);
        check(subject, path, rights);
    }

    /** The rule stored at {@code file} (a path under {@link #DIR}); INVALID saying what is wrong. */
    public static Rule parse(String file, byte[] json) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw invalid(file, "not JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw invalid(file, "not a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("subject", "path", "rights").contains(f)) {
                throw invalid(file, "unknown field \"" + f + "\" (fields: subject, path, rights)");
            }
        }
        JsonNode subject = root.get("subject");
        JsonNode path = root.get("path");
        JsonNode rights = root.get("rights");
        if (subject == null || !subject.isTextual() || path == null || !path.isTextual() || rights == null || !rights.isArray()) {
            throw invalid(file, "needs \"subject\" and \"path\" as strings and \"rights\" as an array");
        }
        Set<Right> set = EnumSet.noneOf(Right.class);
        for (JsonNode r : rights) {
            if (!r.isTextual()) {
                throw invalid(file, "rights are strings (read, write, watch, admin)");
            }
            try {
                set.add(Right.parse(r.asText()));
            } catch (StoreException e) {
                throw invalid(file, e.getMessage());
            }
        }
        try {
            return new Rule(name, subject.asText(), path.asText(), set);
        } catch (StoreException e) {
            throw invalid(file, e.getMessage());
        }
    }

    private static void check(String subject, String path, Set<Right> rights) {
        if (subject == null || subject.isBlank() || subject.equals("group:")) {
            throw new StoreException(Err.INVALID, "a rule needs a subject (an identity, or group:NAME)");
        }
        if (rights.isEmpty()) {
            throw new StoreException(Err.INVALID, "a rule needs at least one right (read, write, watch, admin)");
        }
        Matcher m = PLACEHOLDER.matcher(path == null ? "" : path);
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group(1))) {
                throw new StoreException(Err.INVALID, "unknown placeholder {" + m.group(1)
                        + "} in path (placeholders: {namespace}, {serviceaccount}, {pod})");
            }
        }
        Glob.compile(fill(path == null ? "" : path, "x", "x", "x"));
    }

    public byte[] toJson() {
        ObjectNode o = JSON.createObjectNode().put("subject", subject).put("path", path);
        ArrayNode a = o.putArray("rights");
        for (Right r : Right.values()) {
            if (rights.contains(r)) {
                a.add(r.word());
            }
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    boolean appliesTo(Identity who) {
        if (subject.startsWith("group:")) {
            String pattern = subject.substring("group:".length());
            return who.groups().stream().anyMatch(g -> Subjects.matches(pattern, g));
        }
        return Subjects.matches(subject, who.name());
    }

    /** The glob this rule grants {@code who}, placeholders filled in; null when one has no value. */
    Glob globFor(Identity who) {
        String filled = fill(path, who.namespace(), who.serviceAccount(), who.pod());
        return filled == null ? null : Glob.compile(filled);
    }

    private static String fill(String path, String namespace, String serviceAccount, String pod) {
        if (path.indexOf('{') < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder();
        Matcher m = PLACEHOLDER.matcher(path);
        int at = 0;
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "namespace" -> namespace;
                case "serviceaccount" -> serviceAccount;
                default -> pod;
            };
            // Only a plain segment may stand in: a value holding '/' or a wildcard must not widen the grant.
            if (value.isEmpty() || !value.chars().allMatch(c -> Paths.isSegmentChar((char) c))) {
                return null;
            }
            out.append(path, at, m.start()).append(value);
            at = m.end();
        }
        return out.append(path.substring(at)).toString();
    }

    /** What ACL_CHECK asks: may this identity have this right. */
    public record Question(Identity who, Right right) {}

    /**
     * Parses ACL_CHECK's question, {@code {"name": ..., "groups": [...], "pod": ..., "right": ...}}:
     * a name of the form system:serviceaccount:NS:SA is a service account of that namespace, in its groups.
     */
    public static Question question(byte[] json) {
        JsonNode q;
        try {
            q = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new StoreException(Err.INVALID, "ACL_CHECK needs a JSON question: " + firstLine(e.getMessage()));
        }
        if (q == null || !q.path("name").isTextual() || !q.path("right").isTextual()) {
            throw new StoreException(Err.MISSING_ARG, "ACL_CHECK needs \"name\" and \"right\" in its JSON question");
        }
        String name = q.get("name").asText();
        java.util.List<String> groups = new java.util.ArrayList<>();
        q.path("groups").forEach(g -> groups.add(g.asText()));
        return new Question(Identity.of(name, groups, q.path("pod").asText(""), 0),
                Right.parse(q.get("right").asText()));
    }

    private static StoreException invalid(String file, String why) {
        return new StoreException(Err.INVALID, "ACL rule " + file + ": " + why);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
