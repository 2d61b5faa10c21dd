package io.cairn.sidecar;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What to do after new config files are published: nothing, signal a process (pid from a file),
 * call a URL, or run a command. Parsed once at start so a mistake is reported before anything runs.
 */
public abstract sealed class ChangeAction permits ChangeAction.None, ChangeAction.Signal, ChangeAction.Http, ChangeAction.Exec {
    /** Runs the action for revision {@code rev}; throws with a reason when it failed. */
    abstract void run(long rev) throws Exception;

    abstract String describe();

    public static ChangeAction parse(String spec) {
        if (spec == null || spec.isBlank() || spec.equals("none")) {
            return new None();
        }
        if (spec.startsWith("signal:")) {
            String[] p = spec.split(":", 3);
            if (p.length != 3 || p[1].isEmpty() || p[2].isEmpty() || !p[1].matches("[A-Z0-9]+")) {
                throw new IllegalArgumentException("--on-change signal:NAME:PIDFILE, e.g. signal:HUP:/run/app.pid; got \"" + spec + "\"");
            }
            return new Signal(p[1], Path.of(p[2]));
        }
        if (spec.startsWith("http:")) {
            String url = spec.substring("http:".length());
            try {
                URI u = URI.create(url);
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                    throw new IllegalArgumentException("not an http URL");
                }
                return new Http(u);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--on-change http:URL needs a full http(s) URL, got \"" + url + "\"");
            }
        }
        if (spec.startsWith("exec:")) {
            String cmd = spec.substring("exec:".length());
            if (cmd.isBlank()) {
                throw new IllegalArgumentException("--on-change exec:COMMAND needs a command");
            }
            return new Exec(cmd);
        }
        throw new IllegalArgumentException("--on-change must be none, signal:NAME:PIDFILE, http:URL or exec:COMMAND; got \"" + spec + "\"");
    }

    static final class None extends ChangeAction {
        @Override
        void run(long rev) {}

        @Override
        String describe() {
            return "none";
        }
    }

    static final class Signal extends ChangeAction {
        final String signal;
        final Path pidFile;

        Signal(String signal, Path pidFile) {
            this.signal = signal;
            this.pidFile = pidFile;
        }

        @Override
        void run(long rev) throws Exception {
            String pid;
            try {
                pid = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
            } catch (java.nio.file.NoSuchFileException e) {
                // On Kubernetes: the app has not written it yet, or its volume is not the sidecar's.
                throw new IOException("no pid file " + pidFile + " (the app writes it, on a volume the sidecar sees too)");
            }
            if (!pid.matches("\\d+")) {
                throw new IOException("pid file " + pidFile + " holds \"" + pid + "\", not a pid");
            }
            Process p = new ProcessBuilder("kill", "-s", signal, pid).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("kill -s " + signal + " " + pid + " failed: " + out);
            }
        }

        @Override
        String describe() {
            return "signal " + signal + " to the pid in " + pidFile;
        }
    }

    static final class Http extends ChangeAction {
        final URI url;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

        Http(URI url) {
            this.url = url;
        }

        @Override
        void run(long rev) throws Exception {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                    .header("X-Cairn-Revision", Long.toString(rev))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"rev\":" + rev + "}")).build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 != 2) {
                throw new IOException("POST " + url + " answered " + r.statusCode());
            }
        }

        @Override
        String describe() {
            return "POST " + url;
        }
    }

    static final class Exec extends ChangeAction {
        final String command;

        Exec(String command) {
            this.command = command;
        }

        @Override
        void run(long rev) throws Exception {
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
            pb.environment().put("CAIRN_REVISION", Long.toString(rev));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("command did not finish within 60 s: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IOException("command exited " + p.exitValue() + ": " + command + (out.isEmpty() ? "" : " (" + out + ")"));
            }
        }

        @Override
        String describe() {
            return "run " + command;
        }
    }
}
