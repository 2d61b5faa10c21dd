package io.cairn.sidecar;

import io.cairn.client.CairnClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cairn-sidecar exec [OPTIONS] [--] COMMAND [ARGS...]}: see {@link EnvExec}. */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Runs COMMAND with the watched config as environment variables and keeps them current: when they",
            "change, COMMAND is restarted (or signalled). Key db/url under a watched prefix is DB_URL. Signals are passed",
            "on; exits with COMMAND's exit code."})
final class ExecCommand implements Callable<Integer> {
    /** The signals passed on to the child (QUIT and USR2 belong to the JVM). */
    static final List<String> FORWARDED = List.of("TERM", "INT", "HUP", "USR1");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--env", paramLabel = "NAME=PATH",
            description = "Also set NAME from the file at PATH, under a watched prefix (repeatable; wins over derived names).")
    List<String> env;

    @Option(names = "--env-all", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "A variable for every key under the watched prefixes (default; --no-env-all: only the --env ones).")
    boolean all;

    @Option(names = "--env-prefix", defaultValue = "${env:CAIRN_ENV_PREFIX:-}", paramLabel = "PREFIX",
            description = "Put PREFIX before every derived name: with APP_, db/url is APP_DB_URL ($CAIRN_ENV_PREFIX).")
    String namePrefix;

    @Option(names = "--on-env-change", defaultValue = "${env:CAIRN_ON_ENV_CHANGE:-restart}", paramLabel = "ACTION",
            description = "restart (default), signal:NAME (like signal:HUP) or none ($CAIRN_ON_ENV_CHANGE).")
    String onEnvChange;

    @Option(names = "--stop-timeout", defaultValue = "${env:CAIRN_STOP_TIMEOUT:-10s}",
            description = "How long a restart waits after SIGTERM before SIGKILL ($CAIRN_STOP_TIMEOUT).")
    String stopTimeout;

    @Option(names = "--init-timeout", defaultValue = "${env:CAIRN_INIT_TIMEOUT:-60s}",
            description = "How long to wait for the config before giving up, exit 1 ($CAIRN_INIT_TIMEOUT).")
    String initTimeout;

    @Option(names = "--pod", defaultValue = "${env:CAIRN_POD:-${env:POD_NAME:-${env:HOSTNAME}}}",
            description = "The pod's name, for its own config under .pods/POD and .ordinals/N ($CAIRN_POD, $POD_NAME, $HOSTNAME).")
    String pod;

    @Option(names = "--group", defaultValue = "${env:CAIRN_GROUP:-}",
            description = "The pod's overlay group, for the config under .groups/GROUP ($CAIRN_GROUP).")
    String group;

    @Option(names = "--exit-file", paramLabel = "FILE",
            description = {"Write COMMAND's exit code to FILE when it ends (removed at the start), so a sidecar run with",
                "--exit-with FILE ends too: a Job's pod completes on a cluster without native sidecars."})
    java.nio.file.Path exitFile;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments.")
    List<String> command;

    private ParameterException bad(String msg) {
        return new ParameterException(spec.commandLine(), msg);
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        List<String> prefixes = store.prefixes(cl);
        if (!namePrefix.isEmpty() && !namePrefix.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw bad("--env-prefix \"" + namePrefix + "\" must be letters, digits and _, not starting with a digit");
        }
        if (group != null && !group.isEmpty() && (!group.matches("[A-Za-z0-9._-]+") || group.startsWith("."))) {
            throw bad("--group \"" + group + "\" must be a single path segment of A-Z a-z 0-9 . _ -");
        }
        Map<String, String> named = new LinkedHashMap<>();
        if (env != null) {
            for (String e : env) {
                named.putAll(named(e, prefixes));
            }
        }
        if (!all && named.isEmpty()) {
            throw bad("--no-env-all sets only the --env variables, and none is given");
        }
        EnvExec.OnChange onChange;
        try {
            onChange = EnvExec.OnChange.parse(onEnvChange);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        Duration stop = StoreOptions.duration(cl, "--stop-timeout", stopTimeout);
        Duration init = StoreOptions.duration(cl, "--init-timeout", initTimeout);
        EnvExec exec = new EnvExec(command, new EnvExec.Variables(all, namePrefix, named), onChange, stop, System.getenv());
        CairnClient client = store.client(cl);
        Sidecar sidecar = new Sidecar(new Sidecar.Settings(client, prefixes, exec, new Renderer(true, List.of(), null, Map.of()),
                new ChangeAction.None(), null, Duration.ofSeconds(10), Sidecar.Lifecycle.DEFAULT,
                pod == null || pod.isBlank() ? null : pod, Sidecar.RenderControl.NONE, group == null || group.isBlank() ? null : group));
        for (String signal : FORWARDED) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> exec.forward(signal));
            } catch (IllegalArgumentException e) {
                // This JVM keeps that signal for itself; it is not passed on.
            }
        }
        if (exitFile != null) {
            ExitFile.clear(exitFile); // a restarted container's earlier exit is not this one's
        }
        try {
            sidecar.start();
            int code = waitForExit(exec, sidecar, init);
            if (exitFile != null) {
                ExitFile.write(exitFile, code);
            }
            return code;
        } finally {
            sidecar.close();
            exec.close();
            client.close();
        }
    }

    /** The child's exit code; 1 when no config came within {@code init}, so the child never started. */
    private int waitForExit(EnvExec exec, Sidecar sidecar, Duration init) throws Exception {
        try {
            return exec.exit().get(init.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (exec.starts() == 0) {
                String why = sidecar.lastError();
                System.err.println("cairn-sidecar exec: no config within " + init.toMillis() + " ms, so " + command.get(0)
                        + " was not started" + (why == null ? "" : " (" + why + ")"));
                exec.forward("TERM");
                return 1;
            }
            return exec.exit().get();
        }
    }

    /** NAME=PATH: the variable and the key it is made from, relative to the watched prefix that holds PATH. */
    private Map<String, String> named(String spec, List<String> prefixes) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw bad("--env must be NAME=PATH, got \"" + spec + "\"");
        }
        String name = spec.substring(0, eq);
        String path = spec.substring(eq + 1);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw bad("--env " + spec + ": " + name + " is not a variable name (letters, digits and _, not starting with a digit)");
        }
        for (String p : prefixes) {
            String base = p.equals("/") ? "/" : p + "/";
            if (path.startsWith(base) && path.length() > base.length()) {
                return Map.of(name, path.substring(base.length()));
            }
        }
        throw bad("--env " + spec + ": " + path + " is not under a watched prefix (" + String.join(", ", prefixes) + ")");
    }
}
