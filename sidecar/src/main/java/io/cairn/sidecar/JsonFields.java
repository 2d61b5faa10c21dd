package io.cairn.sidecar;

import io.cairn.net.JsonText;
import java.util.List;

/**
 * One flat JSON object, written field by field: the presence file and {@code /healthz}. Strings
 * are quoted by {@link JsonText}. Jackson's streaming writer did this before; it cost a running
 * sidecar 66 classes and 0.9 MiB of its class-data archive for two small objects.
 */
final class JsonFields {
    private final StringBuilder out = new StringBuilder("{");

    /** A string field; null is JSON's null, as the generator wrote it. */
    JsonFields field(String name, String value) {
        name(name).append(value == null ? "null" : JsonText.quote(value));
        return this;
    }

    JsonFields field(String name, long value) {
        name(name).append(value);
        return this;
    }

    JsonFields field(String name, boolean value) {
        name(name).append(value);
        return this;
    }

    JsonFields field(String name, List<String> values) {
        StringBuilder b = name(name).append('[');
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ",").append(JsonText.quote(values.get(i)));
        }
        b.append(']');
        return this;
    }

    private StringBuilder name(String name) {
        return out.append(out.length() == 1 ? "" : ",").append(JsonText.quote(name)).append(':');
    }

    @Override
    public String toString() {
        return out + "}";
    }
}
