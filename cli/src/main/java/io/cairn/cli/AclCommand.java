package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.InvalidException;
import io.cairn.client.Versioned;
import io.cairn.node.acl.Right;
import io.cairn.node.acl.Rule;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "acl", description = {
        "Read and change the policy: rules under /ctl/acl/rules, each granting rights on a path glob to an identity",
        "(or group:NAME; * matches anything). Paths may use {namespace}, {serviceaccount} and {pod}, filled in from",
        "a service account's identity. Rights: read, write, watch, admin (admin includes the others).",
        "  cairn acl list                                 every rule: NAME SUBJECT PATH RIGHTS",
        "  cairn acl grant SUBJECT PATH RIGHTS [--name N] add rights (merged into the rule for SUBJECT and PATH)",
        "  cairn acl revoke SUBJECT PATH [RIGHTS]         take rights away (all of them without RIGHTS)",
        "  cairn acl check IDENTITY PATH RIGHT [--group G]... [--pod P]",
        "                                                 whether the policy lets IDENTITY do it (exit 0 yes, 1 no)",
        "Rules take effect on every member at the revision that commits them; changing them needs admin on",
        "/ctl/acl. A member run with --auth off records rules but checks nothing."})
final class AclCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ACTION", description = "list, grant, revoke or check")
    String action;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARG")
    List<String> args = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "grant: the rule's file name under /ctl/acl/rules.")
    String name;

    @Option(names = "--group", paramLabel = "GROUP", description = "check: a group IDENTITY is in (repeatable).")
    List<String> groups = new ArrayList<>();

    @Option(names = "--pod", paramLabel = "POD", description = "check: the pod a service account's token names.")
    String pod;

    @Override
    public Integer call() {
        takeOptions();
        return switch (action) {
            case "list" -> list();
            case "grant" -> grant();
            case "revoke" -> revoke();
            case "check" -> check();
            default -> throw new CairnCli.UsageException("unknown acl action \"" + action + "\" (use list, grant, revoke or check)");
        };
    }

    /** A rule as the tree holds it, and the revision it was read at. */
    private record Stored(Rule rule, long rev) {}

    private List<Stored> rules() {
        List<Stored> out = new ArrayList<>();
        for (Versioned v : client().walk(Rule.DIR + "/*", 0).items()) {
            try {
                out.add(new Stored(Rule.parse(v.path(), v.value()), v.rev()));
            } catch (StoreException e) {
                throw new CairnCli.UsageException(e.getMessage());
            }
        }
        return out;
    }

    /** The rule's rights as they read: read, write, watch, admin, in that order. */
    private static List<String> words(Set<Right> rights) {
        return EnumSet.copyOf(rights).stream().map(Right::word).toList();
    }

    private static String rightsText(Rule r) {
        return String.join(",", words(r.rights()));
    }

    private int list() {
        expectArgs(0, "acl list");
        List<Stored> all = rules();
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode a = o.putArray("rules");
            for (Stored s : all) {
                ObjectNode r = a.addObject().put("name", s.rule().name()).put("subject", s.rule().subject())
                        .put("path", s.rule().path()).put("rev", s.rev());
                words(s.rule().rights()).forEach(r.putArray("rights")::add);
            }
            printJson(o);
        } else {
            all.forEach(s -> println(s.rule().name() + " " + s.rule().subject() + " " + s.rule().path() + " " + rightsText(s.rule())));
        }
        return 0;
    }

    private int grant() {
        expectArgs(3, "acl grant SUBJECT PATH RIGHTS");
        Set<Right> rights = rights(args.get(2));
        String ruleName = name != null ? name : defaultName(args.get(0), args.get(1));
        rule(ruleName, args.get(0), args.get(1), rights); // a malformed rule is refused before anything is read
        String file = Rule.DIR + "/" + ruleName;
        Versioned existing = client().get(file);
        Set<Right> merged = EnumSet.copyOf(rights);
        if (existing.value() != null) {
            Rule before = Rule.parse(file, existing.value());
            if (!before.subject().equals(args.get(0)) || !before.path().equals(args.get(1))) {
                throw new CairnCli.UsageException(file + " is a rule for " + before.subject() + " on " + before.path()
                        + "; give another --name");
            }
            merged.addAll(before.rights());
        }
        Rule rule = rule(ruleName, args.get(0), args.get(1), merged);
        // Compared with the rule as read: a grant made meanwhile is not overwritten.
        long rev = client().set(file, rule.toJson(), Math.max(existing.rev(), 0));
        if (json()) {
            printJson(JSON.createObjectNode().put("name", rule.name()).put("rev", rev));
        } else {
            println(rule.name() + " " + rule.subject() + " " + rule.path() + " " + rightsText(rule) + " (rev " + rev + ")");
        }
        return 0;
    }

    private int revoke() {
        if (args.size() < 2 || args.size() > 3) {
            throw new CairnCli.UsageException("usage: cairn acl revoke SUBJECT PATH [RIGHTS]");
        }
        Set<Right> taken = args.size() == 3 ? rights(args.get(2)) : EnumSet.allOf(Right.class);
        int changed = 0;
        for (Stored s : rules()) {
            if (!s.rule().subject().equals(args.get(0)) || !s.rule().path().equals(args.get(1))) {
                continue;
            }
            String file = Rule.DIR + "/" + s.rule().name();
            Set<Right> left = EnumSet.copyOf(s.rule().rights());
            left.removeAll(taken);
            if (left.equals(s.rule().rights())) {
                continue;
            }
            long rev;
            String now;
            if (left.isEmpty()) {
                rev = client().del(file, s.rev());
                now = "deleted ";
            } else {
                Rule kept = rule(s.rule().name(), s.rule().subject(), s.rule().path(), left);
                rev = client().set(file, kept.toJson(), s.rev());
                now = "now " + rightsText(kept) + " ";
            }
            changed++;
            if (!json()) {
                println(now + s.rule().name() + " (rev " + rev + ")");
            }
        }
        if (json()) {
            printJson(JSON.createObjectNode().put("changed", changed));
        } else if (changed == 0) {
            println("no rule grants " + args.get(0) + " those rights on " + args.get(1));
        }
        return 0;
    }

    private int check() {
        expectArgs(3, "acl check IDENTITY PATH RIGHT");
        Set<Right> one = rights(args.get(2));
        if (one.size() != 1) {
            throw new CairnCli.UsageException("acl check takes one right (read, write, watch or admin)");
        }
        String right = one.iterator().next().word();
        // Asked of the member, which answers with the policy it enforces, by the code it enforces it with.
        boolean allowed = client().aclCheck(args.get(0), groups, pod, right, args.get(1));
        if (json()) {
            printJson(JSON.createObjectNode().put("identity", args.get(0)).put("path", args.get(1)).put("right", right)
                    .put("allowed", allowed));
        } else {
            println(allowed ? "yes" : "no");
        }
        return allowed ? 0 : CairnCli.EXIT_ERROR;
    }

    private void expectArgs(int n, String usage) {
        if (args.size() != n) {
            throw new CairnCli.UsageException("usage: cairn " + usage);
        }
    }

    /** The rights named, as the members parse them; bad usage naming the unknown word. */
    private static Set<Right> rights(String text) {
        try {
            return Right.parseList(text);
        } catch (StoreException e) {
            throw new CairnCli.UsageException(e.getMessage());
        }
    }

    /** A rule, checked as the members check it when it is written: INVALID, as they would answer. */
    private static Rule rule(String name, String subject, String path, Set<Right> rights) {
        try {
            return new Rule(name, subject, path, rights);
        } catch (StoreException e) {
            throw new InvalidException(e.getMessage());
        }
    }

    /** A readable file name for the rule of SUBJECT on PATH, unique to the pair. */
    static String defaultName(String subject, String path) {
        String slug = (subject + "-" + path).replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[._]+", "");
        if (slug.length() > 60) {
            slug = slug.substring(0, 60);
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((subject + "\n" + path).getBytes(StandardCharsets.UTF_8));
            return slug + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
