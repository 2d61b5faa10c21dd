package io.cairn.node.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.cairn.node.store.Err;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One schema, stored as JSON at {@code /ctl/schema/NAME}:
 * {@code {"path": "/config/payments/**", "schema": {"type": "object", ...}}}. Every value
 * written to a path the glob matches must be JSON that the schema accepts.
 *
 * <p>A schema without {@code $schema} is read as draft 2020-12. It must be whole in itself: a
 * {@code $ref} to anything outside it is refused when the schema is written, because a member
 * must judge a write alone, the same way every time, without fetching anything.
 */
public record SchemaRule(String name, Glob path, Schema schema) {
    public static final String DIR = io.cairn.node.store.VersionedTree.SCHEMA;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaLoader(l -> l.fetchRemoteResources(false)));
    private static final String DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema";
    /** How many of a refused value's problems the refusal names. */
    private static final int MAX_PROBLEMS = 3;

    /** The schema stored at {@code file} (a path directly under {@link #DIR}); INVALID saying what is wrong. */
    public static SchemaRule parse(String file, byte[] json) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        JsonNode root = readJson(json);
        if (root == null) {
            throw invalid(file, "not JSON");
        }
        if (!root.isObject()) {
            throw invalid(file, "not a JSON object (fields: path, schema)");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("path", "schema").contains(f)) {
                throw invalid(file, "unknown field \"" + f + "\" (fields: path, schema)");
            }
        }
        JsonNode path = root.get("path");
        JsonNode body = root.get("schema");
        if (path == null || !path.isTextual() || body == null || !(body.isObject() || body.isBoolean())) {
            throw invalid(file, "needs \"path\" (a glob such as /config/app/**) and \"schema\" (a JSON Schema object)");
        }
        Glob glob;
        try {
            glob = Glob.compile(path.asText());
        } catch (StoreException e) {
            throw invalid(file, e.getMessage());
        }
        Schema schema;
        try {
            // The validator takes unknown keywords and misspelt types as they come; its dialect's
            // meta-schema (bundled in the validator's jar) does not.
            String dialect = body.path("$schema").asText(DEFAULT_DIALECT);
            List<Error> wrong = REGISTRY.getSchema(SchemaLocation.of(dialect)).validate(body);
            if (!wrong.isEmpty()) {
                throw invalid(file, "not a JSON Schema of " + dialect + ": " + wrong.get(0));
            }
            schema = REGISTRY.getSchema(body);
            // The registry builds a schema's keywords on first use: build them now, so a bad
            // keyword or an outside $ref is refused here rather than on the first value.
            schema.initializeValidators();
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            // Whatever the validator throws at a schema it cannot build (SchemaException and its
            // kin, or a plain runtime exception from deep inside): the schema is what is wrong.
            throw invalid(file, "not a usable JSON Schema: " + firstLine(e.getMessage()));
        }
        return new SchemaRule(name, glob, schema);
    }

    /** INVALID naming this schema and what it found, unless {@code value} (written to {@code file}) is JSON it accepts. */
    void check(String file, byte[] value) {
        JsonNode v = readJson(value);
        if (v == null) {
            throw new StoreException(Err.INVALID, file + ": refused by schema " + name + " (" + DIR + "/" + name
                    + ", for " + path.text() + "): the value is not JSON");
        }
        List<Error> errors = schema.validate(v);
        if (errors.isEmpty()) {
            return;
        }
        StringBuilder why = new StringBuilder();
        for (int i = 0; i < Math.min(MAX_PROBLEMS, errors.size()); i++) {
            why.append(i == 0 ? "" : "; ").append(errors.get(i).toString());
        }
        if (errors.size() > MAX_PROBLEMS) {
            why.append("; and ").append(errors.size() - MAX_PROBLEMS).append(" more");
        }
        throw new StoreException(Err.INVALID, file + ": refused by schema " + name + " (" + DIR + "/" + name
                + ", for " + path.text() + "): " + why);
    }

    private static JsonNode readJson(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
            return n == null || n.isMissingNode() ? null : n;
        } catch (Exception notJson) {
            return null;
        }
    }

    private static StoreException invalid(String file, String why) {
        return new StoreException(Err.INVALID, "schema " + file + ": " + why);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
