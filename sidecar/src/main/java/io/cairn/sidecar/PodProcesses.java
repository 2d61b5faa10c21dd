package io.cairn.sidecar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pod's other containers, as a sidecar container sees them in a pod with
 * {@code shareProcessNamespace: true}. The container runtime starts each container's first
 * process from outside the pod's PID namespace (its shim), so {@code /proc} shows that process
 * with parent 0; the pause container is process 1. A process belongs to the container of its
 * ancestor whose parent is 0. What is not pause's and not this container's is an app's.
 *
 * <p>Only {@code /proc/PID/stat} is read: it is readable whatever user the app runs as, where
 * the namespace links under {@code /proc/PID/ns} are not.
 */
final class PodProcesses {
    private final Path proc;
    private final long self;

    PodProcesses(Path proc, long self) {
        this.proc = proc;
        this.self = self;
    }

    static PodProcesses ofThisProcess() {
        return new PodProcesses(Path.of("/proc"), ProcessHandle.current().pid());
    }

    /** Thrown when this process does not share its PID namespace with the pod's other containers. */
    static final class NotShared extends RuntimeException {
        NotShared(String msg) {
            super(msg);
        }
    }

    /**
     * The processes of the pod's app containers now, by pid.
     *
     * @throws NotShared when this container is alone in its PID namespace (its first process is
     *     process 1) or this process is not in {@code proc} at all
     */
    Set<Long> apps() {
        Map<Long, Long> parents = parents();
        if (!parents.containsKey(self)) {
            throw new NotShared("this process (" + self + ") is not in " + proc);
        }
        long mine = rootOf(self, parents);
        if (mine == 1) {
            throw new NotShared("this container is alone in its PID namespace (its first process is process 1):"
                    + " the pod needs shareProcessNamespace: true");
        }
        Set<Long> apps = new TreeSet<>();
        for (long pid : parents.keySet()) {
            long root = rootOf(pid, parents);
            if (root != 1 && root != mine) {
                apps.add(pid);
            }
        }
        return apps;
    }

    /** The ancestor of {@code pid} whose parent is 0 (or has gone: a process that outlived its parent). */
    private static long rootOf(long pid, Map<Long, Long> parents) {
        long p = pid;
        for (int depth = 0; depth < parents.size(); depth++) {
            Long up = parents.get(p);
            if (up == null || up == 0 || !parents.containsKey(up)) {
                return p;
            }
            p = up;
        }
        return p; // a cycle cannot happen in /proc; bounded all the same
    }

    /** Every process's parent, from {@code /proc/PID/stat}; processes that end while being read are left out. */
    private Map<Long, Long> parents() {
        Map<Long, Long> parents = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long ppid = parentIn(d.resolve("stat"));
                if (ppid >= 0) {
                    parents.put(Long.parseLong(name), ppid);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + proc, e);
        }
        return parents;
    }

    /**
     * The parent in a {@code stat} line, "PID (COMM) STATE PPID ..."; COMM may hold spaces and
     * parentheses, so the fields are counted from its last ')'. -1 when the process has gone.
     */
    static long parentIn(Path stat) {
        String line;
        try {
            line = Files.readString(stat, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return -1;
        }
        int close = line.lastIndexOf(')');
        if (close < 0) {
            return -1;
        }
        String[] fields = line.substring(close + 1).trim().split(" ");
        if (fields.length < 2) {
            return -1;
        }
        try {
            return Long.parseLong(fields[1]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
