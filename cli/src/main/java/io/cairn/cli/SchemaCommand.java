package io.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Versioned;
import io.cairn.node.schema.SchemaRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "schema", description = {
        "JSON Schemas for values: each, at /ctl/schema/NAME, holds for every path its glob matches. A write of a value",
        "that is not JSON the schema accepts is refused INVALID, with the schema's message, before it is proposed.",
        "  cairn schema list                    every schema: NAME GLOB",
        "  cairn schema get NAME                the schema (JSON)",
        "  cairn schema set NAME GLOB FILE|-    attach the JSON Schema in FILE (or stdin) to GLOB, like /config/pay/**",
        "  cairn schema rm NAME                 remove it",
        "A schema is itself checked when written: JSON Schema 2020-12 unless its $schema names an older draft, and",
        "whole in itself (no $ref outside it). Changing schemas needs the write right on /ctl/schema."})
final class SchemaCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ACTION", description = "list, get, set or rm")
    String action;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARG")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        takeOptions();
        return switch (action) {
            case "list" -> list();
            case "get" -> get();
            case "set" -> set();
            case "rm" -> rm();
            default -> throw new CairnCli.UsageException("unknown schema action \"" + action + "\" (use list, get, set or rm)");
        };
    }

    private int list() {
        expectArgs(0, "schema list");
        List<Versioned> all = client().walk(SchemaRule.DIR + "/*", 0).items();
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode a = o.putArray("schemas");
            for (Versioned v : all) {
                JsonNode body = parse(v.path(), v.value());
                a.addObject().put("name", name(v.path())).put("path", body.path("path").asText()).put("rev", v.rev());
            }
            printJson(o);
        } else {
            for (Versioned v : all) {
                println(name(v.path()) + " " + parse(v.path(), v.value()).path("path").asText());
            }
        }
        return 0;
    }

    private int get() {
        expectArgs(1, "schema get NAME");
        String file = file(args.get(0));
        Versioned v = client().get(file);
        if (v.value() == null) {
            throw new io.cairn.client.NoEntException("no schema " + args.get(0) + " (" + file + ")");
        }
        JsonNode body = parse(file, v.value());
        if (json()) {
            printJson(((ObjectNode) body.deepCopy()).put("name", args.get(0)).put("rev", v.rev()));
        } else {
            println(body.toPrettyString());
        }
        return 0;
    }

    private int set() {
        expectArgs(3, "schema set NAME GLOB FILE|-");
        String file = file(args.get(0));
        byte[] text;
        try {
            text = args.get(2).equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(args.get(2)));
        } catch (NoSuchFileException e) {
            throw new CairnCli.UsageException("no file " + args.get(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode schema;
        try {
            schema = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CairnCli.UsageException(args.get(2) + " is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            throw new CairnCli.UsageException(args.get(2) + " is not a JSON Schema (an object)");
        }
        ObjectNode body = JSON.createObjectNode().put("path", args.get(1));
        body.set("schema", schema);
        // The member checks the schema itself (and says what is wrong with it) before proposing it.
        long rev = client().set(file, body.toString().getBytes(StandardCharsets.UTF_8), -1);
        if (json()) {
            printJson(JSON.createObjectNode().put("name", args.get(0)).put("path", args.get(1)).put("rev", rev));
        } else {
            println(args.get(0) + " " + args.get(1) + " (rev " + rev + ")");
        }
        return 0;
    }

    private int rm() {
        expectArgs(1, "schema rm NAME");
        long rev = client().del(file(args.get(0)), -1);
        if (json()) {
            printJson(JSON.createObjectNode().put("name", args.get(0)).put("rev", rev));
        } else {
            println("removed " + args.get(0) + " (rev " + rev + ")");
        }
        return 0;
    }

    private static String file(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new CairnCli.UsageException("a schema's NAME is one path segment, like pay-limits");
        }
        return SchemaRule.DIR + "/" + name;
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static JsonNode parse(String path, byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new CairnCli.UsageException(path + " is not JSON: " + e.getMessage());
        }
    }

    private void expectArgs(int n, String usage) {
        if (args.size() != n) {
            throw new CairnCli.UsageException("usage: cairn " + usage);
        }
    }
}
