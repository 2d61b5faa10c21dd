package io.cairn.sidecar;

import io.cairn.client.CairnClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code cairn-sidecar}: runs beside an app container. Every flag has a {@code CAIRN_*}
 * environment twin so Kubernetes can set it (the pod's identity comes from the Downward API).
 */
@Command(name = "cairn-sidecar", mixinStandardHelpOptions = true, version = "cairn-sidecar 0.1.0",
        description = "Registers the pod's presence and keeps its config files current.", subcommands = ExecCommand.class)
public final class SidecarMain implements Callable<Integer> {
    /** How long the clean end may talk to the store after SIGTERM (and after --terminate-delay). */
    static final Duration END_TIMEOUT = Duration.ofSeconds(15);
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--namespace", defaultValue = "${env:CAIRN_NAMESPACE:-${env:POD_NAMESPACE:-default}}",
            description = "The pod's namespace ($CAIRN_NAMESPACE, $POD_NAMESPACE).")
    String namespace;

    @Option(names = "--app", defaultValue = "${env:CAIRN_APP}", description = "The app's name ($CAIRN_APP).")
    String app;

    @Option(names = "--pod", defaultValue = "${env:CAIRN_POD:-${env:POD_NAME:-${env:HOSTNAME}}}",
            description = "The pod's name ($CAIRN_POD, $POD_NAME, $HOSTNAME).")
    String pod;

    @Option(names = "--group", defaultValue = "${env:CAIRN_GROUP:-}",
            description = "The pod's overlay group: it also renders .groups/GROUP/ under each prefix ($CAIRN_GROUP; the webhook"
                    + " passes the pod's label cairn.io/group).")
    String group;

    @Option(names = "--pod-ip", defaultValue = "${env:CAIRN_POD_IP:-${env:POD_IP:-}}", description = "The pod's IP ($CAIRN_POD_IP, $POD_IP).")
    String podIp;

    @Option(names = "--out", defaultValue = "${env:CAIRN_OUT}", description = "Directory to render into ($CAIRN_OUT).")
    Path out;

    @Option(names = "--template", split = ",", defaultValue = "${env:CAIRN_TEMPLATES}", paramLabel = "SRC:DEST",
            description = "A Pebble template file and the output it renders (repeatable; $CAIRN_TEMPLATES).")
    List<String> templates;

    @Option(names = "--files", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write one file per config key (default: yes; --no-files for templates or env only).")
    boolean files;

    @Option(names = "--env-file", defaultValue = "${env:CAIRN_ENV_FILE}", paramLabel = "NAME",
            description = "Also write NAME (for a shell's source) and NAME.docker (for docker --env-file) ($CAIRN_ENV_FILE).")
    String envFile;

    @Option(names = "--on-change", defaultValue = "${env:CAIRN_ON_CHANGE:-none}",
            description = "none | signal:HUP:PIDFILE | http:URL | exec:COMMAND ($CAIRN_ON_CHANGE).")
    String onChange;

    @Option(names = "--mode", defaultValue = "${env:CAIRN_MODE:-run}", description = "init (render once, exit) or run ($CAIRN_MODE).")
    String mode;

    @Option(names = "--health-addr", defaultValue = "${env:CAIRN_HEALTH_ADDR:-127.0.0.1:8049}",
            description = "Address of /healthz, /readyz and /metrics ($CAIRN_HEALTH_ADDR).")
    String healthAddr;

    @Option(names = "--ttl", defaultValue = "${env:CAIRN_TTL:-10s}", description = "Presence session TTL ($CAIRN_TTL).")
    String ttl;

    @Option(names = "--init-timeout", defaultValue = "${env:CAIRN_INIT_TIMEOUT:-60s}",
            description = "How long init mode waits for the store ($CAIRN_INIT_TIMEOUT).")
    String initTimeout;

    @Option(names = "--on-terminate", defaultValue = "${env:CAIRN_ON_TERMINATE:-mark}", paramLabel = "mark|remove",
            description = "On SIGTERM, first mark the presence terminating (default) or remove it ($CAIRN_ON_TERMINATE).")
    String onTerminate;

    @Option(names = "--terminate-delay", defaultValue = "${env:CAIRN_TERMINATE_DELAY:-0s}",
            description = "After SIGTERM, keep the files current this long before the presence session ends; keep it"
                    + " within the pod's grace period ($CAIRN_TERMINATE_DELAY).")
    String terminateDelay;

    @Option(names = "--readiness-url", defaultValue = "${env:CAIRN_READINESS_URL}", paramLabel = "URL",
            description = "The app's readiness URL: the presence says not-ready while it does not answer 2xx ($CAIRN_READINESS_URL).")
    String readinessUrl;

    @Option(names = "--readiness-every", defaultValue = "${env:CAIRN_READINESS_EVERY:-2s}",
            description = "How often the readiness URL is asked ($CAIRN_READINESS_EVERY).")
    String readinessEvery;

    @Option(names = "--wait", defaultValue = "${env:CAIRN_WAIT:-0s}", paramLabel = "MIN[:MAX]",
            description = "Publish once changes have settled for MIN, but never later than MAX (default 4 x MIN) after the"
                    + " first; 0s: at once ($CAIRN_WAIT).")
    String waitSpec;

    @Option(names = "--reload-on", split = ",", defaultValue = "${env:CAIRN_RELOAD_ON}", paramLabel = "OUTPUT",
            description = "Run the --on-change action only when one of these outputs changed: a template's DEST, the env"
                    + " file, or a key's file (repeatable; $CAIRN_RELOAD_ON). Default: any output.")
    List<String> reloadOn;

    @Option(names = "--exit-with", split = ",", defaultValue = "${env:CAIRN_EXIT_WITH}", paramLabel = "FILE",
            description = "End, as on SIGTERM, once every FILE exists: the exit files an app container's `exec --exit-file`"
                    + " leaves, so a Job's pod completes on a cluster without native sidecars ($CAIRN_EXIT_WITH).")
    List<Path> exitWith;

    @Option(names = "--exit-with-success", defaultValue = "${env:CAIRN_EXIT_WITH_SUCCESS:-false}",
            description = "With --exit-with: only once each holds exit code 0 (a pod restarted on failure runs a failed app"
                    + " again) ($CAIRN_EXIT_WITH_SUCCESS).")
    boolean exitWithSuccess;

    @Option(names = "--exit-with-apps", defaultValue = "${env:CAIRN_EXIT_WITH_APPS:-false}",
            description = "End, as on SIGTERM, once the pod's app containers have ended, seen through the pod's shared process"
                    + " namespace (shareProcessNamespace: true), so a Job's pod completes on a cluster without native sidecars"
                    + " ($CAIRN_EXIT_WITH_APPS).")
    boolean exitWithApps;

    @Option(names = "--exit-with-apps-unseen", defaultValue = "${env:CAIRN_EXIT_WITH_APPS_UNSEEN:-30s}", paramLabel = "DURATION",
            description = "With --exit-with-apps: end also when no app process has been seen this long after the start (an app"
                    + " that ended before the sidecar looked) ($CAIRN_EXIT_WITH_APPS_UNSEEN).")
    String exitWithAppsUnseen;

    public static void main(String[] args) {
        io.cairn.net.LogFormat.checkOrExit("cairn-sidecar");
        io.cairn.net.DnsCache.keepAnswersBriefly();
        System.exit(commandLine().execute(args));
    }

    /** The command line: {@code exec} takes everything after its command's name as the command's own. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SidecarMain());
        cl.getSubcommands().get("exec").setStopAtPositional(true);
        return cl;
    }

    private ParameterException bad(String msg) {
        return new ParameterException(spec.commandLine(), msg);
    }

    @Override
    public Integer call() throws Exception {
        if (!mode.equals("init") && !mode.equals("run")) {
            throw bad("--mode must be init or run, got \"" + mode + "\"");
        }
        List<String> prefixes = store.prefixes(spec.commandLine());
        if (out == null) {
            throw bad("--out (or $CAIRN_OUT) is required: the directory to render into");
        }
        List<Renderer.Template> tpl = new ArrayList<>();
        if (templates != null) {
            for (String t : templates) {
                if (t.isBlank()) {
                    continue;
                }
                int colon = t.lastIndexOf(':');
                if (colon <= 0 || colon == t.length() - 1) {
                    throw bad("--template must be SRC:DEST, got \"" + t + "\"");
                }
                Path src = Path.of(t.substring(0, colon));
                if (!Files.isReadable(src)) {
                    throw bad("--template source " + src + " cannot be read");
                }
                tpl.add(new Renderer.Template(src.toString(), Files.readString(src, StandardCharsets.UTF_8), t.substring(colon + 1)));
            }
        }
        ChangeAction action;
        try {
            action = ChangeAction.parse(onChange);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        Duration sessionTtl = duration("--ttl", ttl);
        Sidecar.Lifecycle lifecycle = lifecycle();
        Sidecar.RenderControl control = control(tpl);
        Duration initWait = duration("--init-timeout", initTimeout);
        Sidecar.Identity identity = null;
        if (exitWith != null) {
            exitWith = exitWith.stream().filter(f -> !f.toString().isBlank()).toList();
            for (Path f : exitWith) {
                if (!f.isAbsolute()) {
                    throw bad("--exit-with " + f + " must be an absolute path");
                }
            }
            if (!exitWith.isEmpty() && !mode.equals("run")) {
                throw bad("--exit-with is for run mode: init mode ends by itself");
            }
        }
        Duration appsUnseen = duration("--exit-with-apps-unseen", exitWithAppsUnseen);
        PodProcesses podProcesses = null;
        if (exitWithApps) {
            if (!mode.equals("run")) {
                throw bad("--exit-with-apps is for run mode: init mode ends by itself");
            }
            if (exitWith != null && !exitWith.isEmpty()) {
                throw bad("--exit-with-apps and --exit-with are two ways to see the apps end: choose one");
            }
            podProcesses = PodProcesses.ofThisProcess();
            try {
                podProcesses.apps();
            } catch (PodProcesses.NotShared | java.io.UncheckedIOException e) {
                throw bad("--exit-with-apps cannot see the pod's other containers: " + e.getMessage());
            }
        }
        if (mode.equals("run")) {
            if (app == null || app.isBlank()) {
                throw bad("--app (or $CAIRN_APP) is required in run mode: it names the presence file");
            }
            if (pod == null || pod.isBlank()) {
                throw bad("--pod (or $CAIRN_POD / $POD_NAME / $HOSTNAME) is required in run mode");
            }
            for (String[] part : new String[][] {{"--namespace", namespace}, {"--app", app}, {"--pod", pod}}) {
                if (!part[1].matches("[A-Za-z0-9._-]+") || part[1].startsWith(".")) {
                    throw bad(part[0] + " \"" + part[1] + "\" must be a single path segment of A-Z a-z 0-9 . _ -");
                }
            }
            identity = new Sidecar.Identity(namespace, app, pod, podIp == null ? "" : podIp, group == null ? "" : group);
        }
        if (group != null && !group.isEmpty() && (!group.matches("[A-Za-z0-9._-]+") || group.startsWith("."))) {
            throw bad("--group \"" + group + "\" must be a single path segment of A-Z a-z 0-9 . _ -");
        }
        Renderer renderer;
        try {
            renderer = new Renderer(files, tpl, envFile == null || envFile.isBlank() ? null : envFile,
                    Map.of("namespace", namespace, "app", app == null ? "" : app, "name", pod == null ? "" : pod,
                            "ip", podIp == null ? "" : podIp));
        } catch (RenderException e) {
            throw bad(e.getMessage());
        }
        CairnClient client = store.client(spec.commandLine());
        Sidecar sidecar = new Sidecar(new Sidecar.Settings(client, prefixes, new AtomicDirectory(out), renderer, action,
                identity, sessionTtl, lifecycle, pod == null || pod.isBlank() ? null : pod, control,
                group == null || group.isBlank() ? null : group));
        if (mode.equals("init")) {
            try {
                long rev = sidecar.renderOnce(initWait);
                System.err.println("cairn-sidecar: rendered rev " + rev + " into " + out);
                return 0;
            } catch (Exception e) {
                System.err.println("cairn-sidecar: init failed: " + e.getMessage());
                return 1;
            } finally {
                client.close();
            }
        }
        InetSocketAddress health = parseAddr(healthAddr);
        HealthServer server;
        try {
            server = new HealthServer(health, sidecar);
        } catch (java.io.IOException e) {
            // One line naming the address and the flag, not a stack trace.
            System.err.println("cairn-sidecar: cannot listen on " + healthAddr + " (--health-addr): " + e.getMessage());
            client.close();
            return 1;
        }
        sidecar.start();
        CountDownLatch stop = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable end = () -> {
            if (ended.compareAndSet(false, true)) {
                sidecar.terminate();
                server.close();
                client.close();
            }
        };
        // SIGTERM and SIGINT are the normal end (the kubelet stops a native sidecar so once the app
        // has ended): terminate cleanly and exit 0, not the 143 of a JVM ended by a signal.
        for (String signal : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), sig -> stop.countDown());
            } catch (IllegalArgumentException unsupported) {
                // the shutdown hook below still ends it cleanly
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(end, "cairn-sidecar-exit"));
        if (exitWith != null && !exitWith.isEmpty()) {
            watchExitFiles(stop);
        }
        if (podProcesses != null) {
            watchApps(podProcesses, new AppsEnd(System.currentTimeMillis(), appsUnseen.toMillis()), stop);
        }
        stop.await();
        // The clean end talks to the store; one that does not answer must not keep the pod past
        // its grace period. Each step is bounded by the client's timeout, and the whole by this.
        Duration bound = lifecycle.terminateDelay().plus(END_TIMEOUT);
        Thread ender = new Thread(end, "cairn-sidecar-end");
        ender.setDaemon(true);
        ender.start();
        ender.join(bound.toMillis());
        if (ender.isAlive()) {
            System.err.println("cairn-sidecar: the clean end did not finish within " + bound.toSeconds()
                    + " s (the store does not answer); exiting, the presence goes when its session's TTL runs out");
        }
        return 0;
    }

    /** Counts {@code stop} down once the apps named by --exit-with have ended. */
    private void watchExitFiles(CountDownLatch stop) {
        endWhen("cairn-sidecar-exit-with", stop, () -> {
            if (!ExitFile.allEnded(exitWith, exitWithSuccess)) {
                return false;
            }
            org.slf4j.LoggerFactory.getLogger(Sidecar.class).info("the app has ended ({}): ending too",
                    exitWith.stream().map(f -> f + " = " + ExitFile.read(f).orElse(-1)).collect(java.util.stream.Collectors.joining(", ")));
            return true;
        });
    }

    /** Counts {@code stop} down once the pod's app containers have ended. */
    private static void watchApps(PodProcesses pod, AppsEnd rule, CountDownLatch stop) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Sidecar.class);
        endWhen("cairn-sidecar-exit-with-apps", stop, () -> {
            java.util.Set<Long> apps;
            try {
                apps = pod.apps();
            } catch (RuntimeException e) {
                log.warn("cannot look at the pod's processes: {}; ending as if the apps had", e.getMessage());
                return true;
            }
            boolean first = !rule.seen() && !apps.isEmpty();
            java.util.Optional<String> why = rule.observe(apps, System.currentTimeMillis());
            if (first) {
                log.info("the app containers run (processes {}): ending once they have all ended", apps);
            }
            why.ifPresent(w -> log.info("{}: ending too", w));
            return why.isPresent();
        });
    }

    /** Asks {@code ended} twice a second, on a daemon thread of its own, and counts {@code stop} down the first time it says so. */
    static void endWhen(String thread, CountDownLatch stop, java.util.function.BooleanSupplier ended) {
        java.util.concurrent.ScheduledExecutorService every = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, thread);
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicBoolean failedOnce = new java.util.concurrent.atomic.AtomicBoolean();
        every.scheduleWithFixedDelay(() -> {
            // A throw out of a periodic task cancels it silently, and the sidecar would then
            // never end: whatever a look throws is logged once and the next look goes on.
            try {
                if (ended.getAsBoolean()) {
                    stop.countDown();
                    every.shutdown();
                }
            } catch (Throwable t) {
                if (failedOnce.compareAndSet(false, true)) {
                    org.slf4j.LoggerFactory.getLogger(Sidecar.class).warn("{}: a look failed ({}); looking again every 0.5 s",
                            thread, t.toString());
                }
            }
        }, 0, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private Sidecar.RenderControl control(List<Renderer.Template> tpl) {
        String w = waitSpec.trim();
        int colon = w.indexOf(':');
        Duration min = colon < 0 ? StoreOptions.durationOrZero(spec.commandLine(), "--wait", w)
                : duration("--wait", w.substring(0, colon));
        Duration max = colon < 0 ? min.multipliedBy(4) : duration("--wait", w.substring(colon + 1));
        if (max.compareTo(min) < 0) {
            throw bad("--wait " + w + ": MAX must not be less than MIN");
        }
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        if (reloadOn != null) {
            for (String r : reloadOn) {
                String name = r.trim();
                if (name.isEmpty()) {
                    continue;
                }
                try {
                    Renderer.checkRelative(name, "--reload-on " + name);
                } catch (RenderException e) {
                    throw bad(e.getMessage());
                }
                boolean known = files; // any key may be a file
                for (Renderer.Template t : tpl) {
                    known |= t.dest().equals(name);
                }
                if (envFile != null && (name.equals(envFile) || name.equals(envFile + ".docker"))) {
                    known = true;
                }
                if (!known) {
                    throw bad("--reload-on " + name + " is none of the outputs (the templates' DEST, the env file)"
                            + " and --no-files leaves no key files");
                }
                names.add(name);
            }
        }
        return new Sidecar.RenderControl(min, max, java.util.Set.copyOf(names));
    }

    private Sidecar.Lifecycle lifecycle() {
        if (!onTerminate.equals("mark") && !onTerminate.equals("remove")) {
            throw bad("--on-terminate must be mark or remove, got \"" + onTerminate + "\"");
        }
        java.net.URI probe = null;
        if (readinessUrl != null && !readinessUrl.isBlank()) {
            try {
                probe = java.net.URI.create(readinessUrl);
            } catch (IllegalArgumentException e) {
                probe = null;
            }
            if (probe == null || !"http".equals(probe.getScheme()) || probe.getHost() == null) {
                throw bad("--readiness-url must be an http URL like http://127.0.0.1:8080/ready, got \"" + readinessUrl + "\"");
            }
        }
        Duration every = duration("--readiness-every", readinessEvery);
        Duration delay = StoreOptions.durationOrZero(spec.commandLine(), "--terminate-delay", terminateDelay);
        return new Sidecar.Lifecycle(onTerminate.equals("remove"), delay, probe, every);
    }

    private Duration duration(String flag, String s) {
        return StoreOptions.duration(spec.commandLine(), flag, s);
    }

    private InetSocketAddress parseAddr(String a) {
        int colon = a.lastIndexOf(':');
        try {
            return new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw bad("--health-addr must be HOST:PORT, got \"" + a + "\"");
        }
    }
}
