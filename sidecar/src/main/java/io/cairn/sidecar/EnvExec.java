package io.cairn.sidecar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cairn-sidecar exec}: runs the app as a child process whose environment holds the watched
 * config, as envconsul does, and keeps it current. It is the sidecar's {@link Publisher}: each
 * revision published becomes the child's variables (see {@link Variables}).
 *
 * <p>A process's environment cannot change while it runs, so when the variables change the child
 * is restarted (SIGTERM, SIGKILL if it has not exited within the stop timeout, then started again
 * with the new variables), or sent a signal, or left alone, as configured. The child is started
 * only once the config has been read, so it never starts without it. Signals the sidecar is sent
 * are passed on; once the child exits on its own, or after a TERM or INT was passed on, the
 * sidecar exits with the child's exit code (128 + N for a child killed by signal N, as a shell
 * reports it; 127 when the command could not be started).
 */
public final class EnvExec implements Publisher {
    private static final Logger log = LoggerFactory.getLogger(EnvExec.class);

    /** What a change of the variables does to the running child. */
    public sealed interface OnChange permits Restart, SignalChild, Ignore {
        static OnChange parse(String spec) {
            if (spec.equals("restart")) {
                return new Restart();
            }
            if (spec.equals("none")) {
                return new Ignore();
            }
            if (spec.startsWith("signal:") && spec.substring(7).matches("[A-Z][A-Z0-9]*")) {
                return new SignalChild(spec.substring(7));
            }
            throw new IllegalArgumentException("--on-env-change must be restart, signal:NAME (like signal:HUP) or none; got \""
                    + spec + "\"");
        }
    }

    /** Stop the child and start it again with the new variables. */
    public record Restart() implements OnChange {}

    /** Send the child a signal (it reads its config from files too, say). */
    public record SignalChild(String signal) implements OnChange {}

    /** Leave the child running with the variables it started with. */
    public record Ignore() implements OnChange {}

    /**
     * How config keys become variables. With {@code all}, every key under a watched prefix,
     * named by {@link EnvFiles#name} after {@code namePrefix}: {@code db/url} is {@code DB_URL}
     * ({@code APP_DB_URL} with prefix {@code APP_}). {@code named} adds variables for single
     * keys by name (a key, relative to its watched prefix, for each variable); they win over the
     * derived ones. A variable's key that is not in the config leaves the variable unset.
     */
    public record Variables(boolean all, String namePrefix, Map<String, String> named) {
        SortedMap<String, String> of(SortedMap<String, byte[]> keys) throws RenderException {
            SortedMap<String, String> out = all ? EnvFiles.variables(keys, namePrefix) : new TreeMap<>();
            for (Map.Entry<String, String> n : named.entrySet()) {
                byte[] v = keys.get(n.getValue());
                if (v == null) {
                    out.remove(n.getKey());
                    continue;
                }
                String value = new String(v, StandardCharsets.UTF_8);
                EnvFiles.checkCarriable(n.getValue(), value);
                out.put(n.getKey(), value);
            }
            return out;
        }
    }

    private final List<String> command;
    private final Variables variables;
    private final OnChange onChange;
    private final Duration stopTimeout;
    private final Map<String, String> inherited;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private Process child;
    /** A child stopped on purpose, to be restarted: its exit does not end the sidecar. */
    private Process retiring;
    private SortedMap<String, String> current;
    private boolean stopping;
    private int starts;

    /**
     * @param inherited the environment the child gets besides the config (the sidecar's own);
     *     config variables of the same name win
     */
    public EnvExec(List<String> command, Variables variables, OnChange onChange, Duration stopTimeout, Map<String, String> inherited) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("exec needs a command to run");
        }
        this.command = List.copyOf(command);
        this.variables = variables;
        this.onChange = onChange;
        this.stopTimeout = stopTimeout;
        this.inherited = Map.copyOf(inherited);
    }

    @Override
    public String describe() {
        return "the environment of " + command.get(0);
    }

    /** Completes with the exit code the sidecar should exit with. */
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    /** How many times the child was started. */
    public synchronized int starts() {
        return starts;
    }

    /** The running child's pid, or -1. */
    public synchronized long pid() {
        return child == null ? -1 : child.pid();
    }

    @Override
    public void publish(long rev, SortedMap<String, byte[]> outputs) throws IOException {
        SortedMap<String, String> env;
        try {
            env = variables.of(outputs);
        } catch (RenderException e) {
            throw new IOException(e.getMessage(), e);
        }
        Process old;
        synchronized (this) {
            if (stopping || exit.isDone()) {
                return;
            }
            if (child == null) {
                start(rev, env);
                return;
            }
            if (env.equals(current)) {
                return; // a change to a key no variable is made from
            }
            if (onChange instanceof SignalChild s) {
                log.info("config variables changed at rev {}; sending {} to {} (pid {})", rev, s.signal(), command.get(0), child.pid());
                signal(child, s.signal());
                current = env;
                return;
            }
            if (onChange instanceof Ignore) {
                log.info("config variables changed at rev {}; {} keeps those it started with", rev, command.get(0));
                current = env;
                return;
            }
            log.info("config variables changed at rev {}; restarting {} (pid {})", rev, command.get(0), child.pid());
            old = child;
            retiring = old;
        }
        // Stopping may take the whole stop timeout: not while holding the lock signals need.
        stop(old);
        synchronized (this) {
            if (stopping) {
                // Told to stop while restarting: the child it stopped was the last.
                exit.complete(old.exitValue());
                return;
            }
            if (!exit.isDone()) {
                start(rev, env);
            }
        }
    }

    private void start(long rev, SortedMap<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().clear();
        pb.environment().putAll(inherited);
        pb.environment().putAll(env);
        pb.environment().put("CAIRN_REVISION", Long.toString(rev));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            log.error("cannot start {}: {}", command.get(0), e.getMessage());
            exit.complete(127);
            return;
        }
        child = p;
        current = env;
        starts++;
        log.info("started {} (pid {}) with {} config variables of rev {}", command.get(0), p.pid(), env.size(), rev);
        p.onExit().thenAccept(this::exited);
    }

    private synchronized void exited(Process p) {
        if (p == retiring) {
            return;
        }
        int code = p.exitValue();
        log.info("{} (pid {}) exited with {}", command.get(0), p.pid(), code);
        exit.complete(code);
    }

    /** SIGTERM, then SIGKILL once the stop timeout has passed; returns once it has exited. */
    private void stop(Process p) {
        signal(p, "TERM");
        try {
            if (!p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} (pid {}) did not exit within {} ms of SIGTERM; killing it", command.get(0), p.pid(), stopTimeout.toMillis());
                p.destroyForcibly();
                p.waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /**
     * A signal the sidecar was sent, passed on to the child. TERM and INT also mean the sidecar
     * stops once the child has: no restart after them; with no child yet, it exits at once.
     */
    public void forward(String signal) {
        Process p;
        synchronized (this) {
            boolean ending = signal.equals("TERM") || signal.equals("INT");
            if (ending) {
                stopping = true;
            }
            p = child;
            if (p == null || !p.isAlive()) {
                if (ending && p == null) {
                    exit.complete(128 + signalNumber(signal));
                }
                return;
            }
        }
        log.info("passing SIG{} on to {} (pid {})", signal, command.get(0), p.pid());
        signal(p, signal);
    }

    private static int signalNumber(String signal) {
        return switch (signal) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "KILL" -> 9;
            case "TERM" -> 15;
            default -> 0;
        };
    }

    private void signal(Process p, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid())).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (kill.waitFor() != 0 && p.isAlive()) {
                log.warn("could not send SIG{} to pid {}: {}", signal, p.pid(), out);
            }
        } catch (IOException e) {
            log.warn("could not send SIG{} to pid {}: {}", signal, p.pid(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the child if it still runs (the sidecar is going away without it having exited). */
    public void close() {
        Process p;
        synchronized (this) {
            stopping = true;
            p = child;
        }
        if (p != null && p.isAlive()) {
            stop(p);
        }
    }
}
