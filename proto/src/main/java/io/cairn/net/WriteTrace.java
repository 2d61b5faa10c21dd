package io.cairn.net;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Marks the moments a write passes through, with {@link System#nanoTime()}, so that one client's
 * writes can be cut into hops across the client and the members (the benchmark's {@code --floor}).
 * On Linux that clock is the system's monotonic clock, the same in every process on a machine, so
 * marks of several processes line up on one time line. Off unless a process starts with
 * {@code -Dcairn.trace=PREFIX} (it writes {@code PREFIX.PID} when it exits) or calls
 * {@link #start}; off, a mark is one read of a field.
 */
public final class WriteTrace {
    /** Where a write is. Codes are written to the trace files; keep them. */
    public enum Stage {
        /** The client's caller starts a write (marked by the caller). */
        CALL(1),
        /** The caller has the answer (marked by the caller). */
        RETURNED(2),
        /** An event loop flushes what it wrote to a connection (a request, an accept, an answer). */
        FLUSH(3),
        /** The client's connection reads an answer. */
        ANSWER_READ(4),
        /** A member reads a client's request. */
        REQUEST_READ(10),
        /** The leader proposes the writes it has taken. */
        PROPOSED(11),
        /** The leader sends an accept to a follower. */
        ACCEPT_SENT(12),
        /** A follower reads an accept. */
        ACCEPT_READ(13),
        /** A member starts writing records to its log. */
        LOG_WRITE(14),
        /** A member's log records are written and synced. */
        LOG_SYNCED(15),
        /** A member's loop learns its records are durable. */
        DURABLE(16),
        /** A follower sends its accepted. */
        ACCEPTED_SENT(17),
        /** The leader reads an accepted. */
        ACCEPTED_READ(18),
        /** A member applies a chosen entry. */
        APPLIED(19);

        public final int code;

        Stage(int code) {
            this.code = code;
        }

        public static Stage of(int code) {
            for (Stage s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            throw new IllegalArgumentException("no trace stage has code " + code);
        }
    }

    /** One mark: when, and where. */
    public record Mark(long nanos, Stage stage) {}

    /** The last marks of a process, in a ring. */
    private static final class Recorder {
        final long[] nanos;
        final byte[] codes;
        final AtomicLong next = new AtomicLong();

        Recorder(int capacity) {
            nanos = new long[capacity];
            codes = new byte[capacity];
        }

        void mark(Stage s) {
            long i = next.getAndIncrement();
            int at = (int) (i % nanos.length);
            nanos[at] = System.nanoTime();
            codes[at] = (byte) s.code;
        }

        List<Mark> marks() {
            long n = next.get();
            long from = Math.max(0, n - nanos.length);
            List<Mark> out = new ArrayList<>((int) (n - from));
            for (long i = from; i < n; i++) {
                int at = (int) (i % nanos.length);
                out.add(new Mark(nanos[at], Stage.of(codes[at])));
            }
            return out;
        }
    }

    /** Two million marks: about a hundred seconds of one client's writes, ten marks each. */
    static final int CAPACITY = 1 << 21;

    private static volatile Recorder recorder;

    static {
        String prefix = System.getProperty("cairn.trace");
        if (prefix != null && !prefix.isBlank()) {
            Path out = Path.of(prefix + "." + ProcessHandle.current().pid());
            start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    stopAndWrite(out);
                } catch (UncheckedIOException e) {
                    System.err.println("cairn: could not write the write trace " + out + ": " + e.getCause().getMessage());
                }
            }, "cairn-write-trace"));
        }
    }

    private WriteTrace() {}

    public static void mark(Stage s) {
        Recorder r = recorder;
        if (r != null) {
            r.mark(s);
        }
    }

    /** Starts marking in this process, forgetting earlier marks. */
    public static void start() {
        recorder = new Recorder(CAPACITY);
    }

    /** Stops marking and gives the marks kept, oldest first (none when it was not marking). */
    public static List<Mark> stop() {
        Recorder r = recorder;
        recorder = null;
        return r == null ? List.of() : r.marks();
    }

    /** Stops marking and writes the marks kept to {@code file}, one "NANOS CODE" a line. */
    public static void stopAndWrite(Path file) {
        write(stop(), file);
    }

    public static void write(List<Mark> marks, Path file) {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (Mark m : marks) {
                w.write(Long.toString(m.nanos()));
                w.write(' ');
                w.write(Integer.toString(m.stage().code));
                w.newLine();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a file {@link #write} wrote. */
    public static List<Mark> read(Path file) throws IOException {
        List<Mark> out = new ArrayList<>();
        int line = 0;
        for (String s : Files.readAllLines(file)) {
            line++;
            String[] f = s.trim().split(" ");
            if (f.length != 2) {
                throw new IOException(file + ":" + line + ": not a trace line (NANOS CODE): " + s);
            }
            try {
                out.add(new Mark(Long.parseLong(f[0]), Stage.of(Integer.parseInt(f[1]))));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + line + ": " + e.getMessage());
            }
        }
        return out;
    }
}
