package io.cairn.node.auth;

import io.cairn.node.acl.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Static bearer tokens, as the Kubernetes API server's {@code --token-auth-file} has them: one per
 * line, {@code TOKEN,NAME,UID,"GROUP1,GROUP2"} (UID and groups optional; # starts a comment).
 * Re-read when the file changes, so a token is added or revoked without a restart.
 */
final class TokenFile {
    private final Path file;
    private FileTime loadedAt;
    private Map<String, Identity> byToken = Map.of();

    /** Reads the file once, failing with the line that is wrong. */
    TokenFile(Path file) throws IOException {
        this.file = file;
        reload();
    }

    /** The identity {@code token} stands for, or null. */
    synchronized Identity lookup(String token) {
        try {
            if (!Files.getLastModifiedTime(file).equals(loadedAt)) {
                reload();
            }
        } catch (IOException | IllegalArgumentException e) {
            // Keep the tokens last read: a file half-written by an editor must not lock everyone out.
        }
        // Constant-time comparison on a hash, so a timing difference says nothing about a token.
        Identity found = null;
        byte[] wanted = hash(token);
        for (Map.Entry<String, Identity> e : byToken.entrySet()) {
            if (MessageDigest.isEqual(hash(e.getKey()), wanted)) {
                found = e.getValue();
            }
        }
        return found;
    }

    private void reload() throws IOException {
        FileTime at = Files.getLastModifiedTime(file);
        Map<String, Identity> out = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> fields = csv(line);
            if (fields.size() < 2 || fields.get(0).isEmpty() || fields.get(1).isEmpty()) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected TOKEN,NAME[,UID[,\"GROUPS\"]]");
            }
            List<String> groups = new ArrayList<>();
            if (fields.size() > 3 && !fields.get(3).isBlank()) {
                for (String g : fields.get(3).split(",")) {
                    groups.add(g.strip());
                }
            }
            if (out.put(fields.get(0), Identity.named(fields.get(1), groups, 0)) != null) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": the same token twice");
            }
        }
        byToken = out;
        loadedAt = at;
    }

    private static List<String> csv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(cur.toString().strip());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString().strip());
        return out;
    }

    private static byte[] hash(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
