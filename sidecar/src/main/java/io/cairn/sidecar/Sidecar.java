package io.cairn.sidecar;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Page;
import io.cairn.client.Session;
import io.cairn.client.TooLateException;
import io.cairn.client.Versioned;
import io.cairn.client.Watch;
import io.cairn.client.WatchListener;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar: reads the watched prefixes at one revision, publishes them as files, then watches
 * from the next revision and publishes again whenever an output changes — running the on-change
 * action once for each such revision. Through a store outage it keeps the last good files and
 * retries; a render that fails keeps them too and is reported.
 *
 * <p>All of the sidecar's own work runs on one thread, so publications never overlap.
 */
public final class Sidecar implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sidecar.class);
    /** Who this pod is, for its presence file; {@code group} its overlay group (empty: none). */
    public record Identity(String namespace, String app, String pod, String ip, String group) {
        public Identity(String namespace, String app, String pod, String ip) {
            this(namespace, app, pod, ip, "");
        }

        String path() {
            return "/presence/" + namespace + "/" + app + "/" + pod;
        }
    }

    /**
     * How the presence follows the pod: on termination it is marked {@code terminating} (or, with
     * {@code removeOnTerm}, removed) at once, the files are kept current for {@code terminateDelay},
     * and then the session ends cleanly. With a {@code readinessProbe} (an http URL of the app),
     * probed every {@code probeEvery}, the presence says {@code not-ready} while the app is not.
     */
    public record Lifecycle(boolean removeOnTerm, Duration terminateDelay, URI readinessProbe, Duration probeEvery) {
        public static final Lifecycle DEFAULT = new Lifecycle(false, Duration.ZERO, null, Duration.ofSeconds(2));
    }

    /**
     * When to publish and when to act, as consul-template's {@code wait} and per-template commands
     * do: a change is published once no other has come for {@code waitMin}, but never later than
     * {@code waitMax} after the first one not yet published (zero: at once); the on-change action
     * runs only when one of the outputs in {@code reloadOn} changed (empty: any output).
     */
    public record RenderControl(Duration waitMin, Duration waitMax, java.util.Set<String> reloadOn) {
        public static final RenderControl NONE = new RenderControl(Duration.ZERO, Duration.ZERO, java.util.Set.of());
    }

    /**
     * How the sidecar runs. {@code overlayPod} and {@code overlayGroup} are the pod and the group
     * whose config it renders over the shared config (see {@link Overlays}; null: none).
     */
    public record Settings(CairnClient client, List<String> prefixes, Publisher out, Renderer renderer,
            ChangeAction onChange, Identity identity, Duration sessionTtl, Lifecycle lifecycle, String overlayPod,
            RenderControl control, String overlayGroup) {
        public Settings(CairnClient client, List<String> prefixes, Publisher out, Renderer renderer, ChangeAction onChange,
                Identity identity, Duration sessionTtl, Lifecycle lifecycle, String overlayPod, RenderControl control) {
            this(client, prefixes, out, renderer, onChange, identity, sessionTtl, lifecycle, overlayPod, control,
                    identity == null ? null : identity.group());
        }

        public Settings(CairnClient client, List<String> prefixes, Publisher out, Renderer renderer, ChangeAction onChange,
                Identity identity, Duration sessionTtl) {
            this(client, prefixes, out, renderer, onChange, identity, sessionTtl, Lifecycle.DEFAULT,
                    identity == null ? null : identity.pod(), RenderControl.NONE);
        }
    }

    private final Settings s;
    final SidecarMetrics metrics = new SidecarMetrics();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cairn-sidecar");
        t.setDaemon(true);
        return t;
    });
    private final List<Watch> watches = new ArrayList<>();
    private final String started = Instant.now().toString();
    private volatile long applied = -1;
    private volatile long seen;
    private volatile String lastError;
    /** The revision whose publication {@link #lastError} is about (0: none, or not a publication's). */
    private volatile long problemRev;
    private volatile boolean ready;
    private SortedMap<String, byte[]> published;
    private boolean refreshQueued;
    private long storeBackoffMs = 100;
    private volatile Session session;
    private volatile boolean closed;
    private volatile boolean terminating;
    /** What the readiness probe last said (true when there is none). */
    private volatile boolean appReady = true;
    private volatile String appProblem;
    private final HttpClient probeClient;
    /** Where the probe runs: not the worker, which a hung app would hold up for its timeouts. */
    private final ScheduledExecutorService prober;

    public Sidecar(Settings settings) {
        this.s = settings;
        this.probeClient = settings.lifecycle().readinessProbe() == null ? null
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        this.prober = probeClient == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-sidecar-probe");
            t.setDaemon(true);
            return t;
        });
        if (probeClient != null) {
            appReady = false; // until the app first answers
            appProblem = "not probed yet";
        }
    }

    public long applied() {
        return applied;
    }

    public boolean ready() {
        return ready;
    }

    public String lastError() {
        return lastError;
    }

    /**
     * Init mode: reads and publishes once, retrying with backoff until {@code timeout}. Returns
     * the revision published; throws when no store answered in time.
     */
    public long renderOnce(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        long backoff = 100;
        Exception last = null;
        int attempts = 0;
        while (System.nanoTime() < end) {
            attempts++;
            try {
                ConfigView view = read();
                Renderer.Rendered r = publish(view);
                if (!r.failedOutputs().isEmpty()) {
                    // An init container that exits 0 lets the app start on config it does not have.
                    throw new RenderException("rev " + view.rev() + " could not render " + String.join(", ", r.failedOutputs())
                            + ": " + String.join("; ", r.problems()));
                }
                return view.rev();
            } catch (io.cairn.client.PermissionDeniedException e) {
                // The policy does not change by waiting: say so at once, with the right that is missing.
                throw new IOException("the store's policy refuses this sidecar: " + e.getMessage(), e);
            } catch (CairnException e) {
                last = e;
                log.info("init: store not answering yet (attempt {}): {}", attempts, e.getMessage());
            }
            Thread.sleep(Math.min(backoff, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            backoff = Math.min(backoff * 2, 2000);
        }
        throw new IOException("no store answered within " + timeout.toMillis() + " ms after " + attempts + " attempts"
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
    }

    /** Run mode: publish, register presence, and keep both current until closed. */
    public void start() {
        worker.execute(this::firstRender);
        if (probeClient != null) {
            long every = s.lifecycle().probeEvery().toMillis();
            prober.scheduleWithFixedDelay(this::probe, 0, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Asks the app whether it is ready; a change shows in the presence (written on the worker). */
    private void probe() {
        URI url = s.lifecycle().readinessProbe();
        boolean ok;
        String problem;
        try {
            HttpResponse<Void> r = probeClient.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(1)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            ok = r.statusCode() / 100 == 2;
            problem = ok ? null : "readiness probe " + url + " answered " + r.statusCode();
        } catch (IOException e) {
            ok = false;
            problem = "readiness probe " + url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        boolean changed = ok != appReady || !java.util.Objects.equals(problem, appProblem);
        if (changed) {
            log.info(ok ? "the app is ready ({})" : "the app is not ready: {}", ok ? url : problem);
            boolean nowReady = ok;
            String why = problem;
            worker.execute(() -> {
                appReady = nowReady;
                appProblem = why;
                updatePresence();
            });
        }
    }

    /** The presence status: terminating, degraded (config not all published), not-ready (the app's probe), or ready. */
    String status() {
        if (terminating) {
            return "terminating";
        }
        if (lastError != null) {
            return "degraded";
        }
        return appReady ? "ready" : "not-ready";
    }

    private void firstRender() {
        if (closed) {
            return;
        }
        try {
            ConfigView view = read();
            publish(view);
            startWatches(view.rev() + 1);
            registerPresence();
            storeBackoffMs = 100;
        } catch (CairnException e) {
            metrics.storeErrors.inc();
            lastError = "store: " + e.getMessage();
            problemRev = 0;
            log.warn("cannot read the config yet ({}); retrying in {} ms", e.getMessage(), storeBackoffMs);
            worker.schedule(this::firstRender, storeBackoffMs, TimeUnit.MILLISECONDS);
            storeBackoffMs = Math.min(storeBackoffMs * 2, 5000);
        }
    }

    private void startWatches(long from) {
        for (Watch w : watches) {
            w.close();
        }
        watches.clear();
        for (String prefix : s.prefixes()) {
            String glob = prefix.equals("/") ? "/**" : prefix + "/**";
            watches.add(s.client().watch(glob, from, new WatchListener() {
                @Override
                public void onEvent(io.cairn.client.Event e) {
                    seen = Math.max(seen, e.rev());
                    if (e.timeMs() > 0) {
                        unpublishedSince.accumulateAndGet(e.timeMs(), (a, b) -> a == 0 ? b : Math.min(a, b));
                    }
                    metrics.watchLag.set(Math.max(0, seen - applied));
                    changed();
                }

                @Override
                public void onError(CairnException e) {
                    if (e instanceof TooLateException) {
                        // Fell behind the store's history: read everything again and watch from there.
                        log.warn("watch on {} is too far behind ({}); reading the config again", glob, e.getMessage());
                        worker.execute(() -> {
                            try {
                                ConfigView view = read();
                                publish(view);
                                startWatches(view.rev() + 1);
                            } catch (CairnException again) {
                                worker.schedule(Sidecar.this::firstRender, 500, TimeUnit.MILLISECONDS);
                            }
                        });
                    } else {
                        log.warn("watch on {} ended: {}", glob, e.getMessage());
                    }
                }
            }));
        }
    }

    /** When the oldest change not yet published was proposed (ms since the epoch, the leader's clock), or 0. */
    private final java.util.concurrent.atomic.AtomicLong unpublishedSince = new java.util.concurrent.atomic.AtomicLong();

    /** When the first change not yet published was seen (System.nanoTime), or -1; on the worker. */
    private long pendingSince = -1;
    private java.util.concurrent.ScheduledFuture<?> settleTimer;

    /**
     * A change was seen: refresh at once, or, with a wait, once changes have settled (see
     * {@link RenderControl}).
     */
    private void changed() {
        if (s.control().waitMin().isZero()) {
            queueRefresh();
            return;
        }
        worker.execute(() -> {
            long now = System.nanoTime();
            if (pendingSince < 0) {
                pendingSince = now;
            }
            long at = Math.min(now + s.control().waitMin().toNanos(), pendingSince + s.control().waitMax().toNanos());
            if (settleTimer != null) {
                settleTimer.cancel(false);
            }
            settleTimer = worker.schedule(() -> {
                pendingSince = -1;
                settleTimer = null;
                refresh();
            }, Math.max(0, at - now), TimeUnit.NANOSECONDS);
        });
    }

    private void queueRefresh() {
        synchronized (this) {
            if (refreshQueued) {
                return;
            }
            refreshQueued = true;
        }
        worker.execute(this::refresh);
    }

    /** Reads every prefix at the latest revision and publishes if an output changed. */
    private void refresh() {
        synchronized (this) {
            refreshQueued = false;
        }
        if (closed) {
            return;
        }
        try {
            long began = System.nanoTime();
            ConfigView view = read();
            if (view.rev() > applied) {
                publish(view);
                metrics.publishSeconds.observe((System.nanoTime() - began) / 1e9);
            }
            storeBackoffMs = 100;
        } catch (CairnException e) {
            metrics.storeErrors.inc();
            lastError = "store: " + e.getMessage();
            problemRev = 0;
            log.warn("reading the config failed ({}); keeping the files of rev {}, retrying in {} ms", e.getMessage(),
                    applied, storeBackoffMs);
            worker.schedule(this::queueRefresh, storeBackoffMs, TimeUnit.MILLISECONDS);
            storeBackoffMs = Math.min(storeBackoffMs * 2, 5000);
        }
    }

    /**
     * Every watched prefix read at one revision (linearizably), keyed relative to its prefix, with
     * this pod's overlays applied.
     */
    ConfigView read() {
        SortedMap<String, byte[]> files = new TreeMap<>();
        long rev = 0;
        for (String prefix : s.prefixes()) {
            String glob = prefix.equals("/") ? "/**" : prefix + "/**";
            Page<Versioned> page = s.client().walk(glob, rev);
            rev = page.rev();
            String base = prefix.equals("/") ? "/" : prefix + "/";
            for (Versioned v : page.items()) {
                String key = v.path().substring(base.length());
                if (files.put(key, v.value()) != null) {
                    lastError = "two watched prefixes both hold " + key;
                }
            }
        }
        return new ConfigView(rev, Overlays.apply(files, s.overlayPod(), s.overlayGroup()));
    }

    /**
     * Publishes what the view renders to. A key or template that cannot be rendered does not
     * hold back the rest (see {@link Renderer#render(ConfigView, SortedMap)}): the revision is
     * published without it, and /healthz, the presence status, the metrics and the log say what
     * was left out. Returns the render, so init mode can fail on a missing output.
     */
    private Renderer.Rendered publish(ConfigView view) {
        Renderer.Rendered r = s.renderer().render(view, published == null ? new java.util.TreeMap<>() : published);
        SortedMap<String, byte[]> outputs = r.files();
        if (r.complete()) {
            lastError = null;
            problemRev = 0;
        } else {
            metrics.renderErrors.inc(r.problems().size());
            lastError = String.join("; ", r.problems());
            problemRev = view.rev();
            log.warn("rev {} published without what could not be rendered: {}", view.rev(), lastError);
        }
        metrics.problems.set(r.problems().size());
        boolean changed = published == null || !same(published, outputs);
        SortedMap<String, byte[]> before = published;
        if (changed) {
            try {
                s.out().publish(view.rev(), outputs);
            } catch (IOException e) {
                metrics.renderErrors.inc();
                lastError = "publishing into " + s.out().describe() + ": " + e.getMessage();
                problemRev = view.rev();
                log.warn("could not publish rev {} into {}: {}", view.rev(), s.out().describe(), e.getMessage());
                updatePresence();
                return r;
            }
            published = outputs;
            metrics.renders.inc();
        }
        long since = unpublishedSince.getAndSet(0);
        if (since > 0) {
            metrics.changeToFile.observe(Math.max(0, System.currentTimeMillis() - since) / 1e3);
        }
        boolean first = applied < 0;
        applied = view.rev();
        metrics.appliedRevision.set(applied);
        metrics.watchLag.set(Math.max(0, seen - applied));
        if (!ready) {
            ready = true;
            log.info("published the config of rev {} ({} files) into {}", applied, outputs.size(), s.out().describe());
        } else if (changed) {
            log.info("published the config of rev {} ({} files)", applied, outputs.size());
        }
        if (changed && !first && wantsAction(before, outputs)) {
            runAction(applied, 0);
        }
        updatePresence();
        return r;
    }

    /** Whether an output the action is for changed between two publications. */
    private boolean wantsAction(SortedMap<String, byte[]> before, SortedMap<String, byte[]> after) {
        if (s.control().reloadOn().isEmpty()) {
            return true;
        }
        for (String name : s.control().reloadOn()) {
            if (!Arrays.equals(before == null ? null : before.get(name), after.get(name))) {
                return true;
            }
        }
        return false;
    }

    private static boolean same(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private void runAction(long rev, int attempt) {
        if (closed || rev != applied && attempt > 0) {
            return; // a newer revision has its own action
        }
        try {
            s.onChange().run(rev);
            if (!(s.onChange() instanceof ChangeAction.None)) {
                metrics.reloads.labelValues("ok").inc();
                log.info("on-change action for rev {}: {} done", rev, s.onChange().describe());
            }
        } catch (Exception e) {
            metrics.reloads.labelValues("failed").inc();
            long delay = Math.min(30_000, 500L << Math.min(attempt, 6));
            log.warn("on-change action for rev {} failed ({}); retrying in {} ms", rev, e.getMessage(), delay);
            if (attempt < 8) {
                worker.schedule(() -> runAction(rev, attempt + 1), delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    // ---- presence ----------------------------------------------------------------------------

    private void registerPresence() {
        if (s.identity() == null || closed || terminating) {
            return;
        }
        try {
            session = s.client().openSession(s.sessionTtl());
            session.onExpired(e -> worker.execute(() -> {
                log.warn("presence session ended ({}); registering again", e.getMessage());
                session = null;
                registerPresence();
            }));
            updatePresence();
            log.info("presence registered at {} (session {}, TTL {} ms)", s.identity().path(), session.id(), s.sessionTtl().toMillis());
        } catch (CairnException e) {
            log.warn("cannot register presence yet: {}", e.getMessage());
            worker.schedule(this::registerPresence, 1000, TimeUnit.MILLISECONDS);
        }
    }

    private void updatePresence() {
        Session sess = session;
        if (sess == null || s.identity() == null) {
            return;
        }
        JsonFields o = new JsonFields()
                .field("pod", s.identity().pod())
                .field("namespace", s.identity().namespace())
                .field("app", s.identity().app())
                .field("ip", s.identity().ip());
        if (!s.identity().group().isEmpty()) {
            o.field("group", s.identity().group());
        }
        o.field("started", started).field("rev", applied).field("status", status());
        String problem = lastError;
        if (problem != null) {
            o.field("problem", problem);
            if (problemRev > 0) {
                o.field("problem_rev", problemRev);
            }
        }
        // What this pod runs the config of: `cairn rollout status` finds a prefix's pods by it.
        o.field("prefixes", s.prefixes());
        if (probeClient != null) {
            o.field("app_ready", appReady);
            String appProblemNow = appProblem;
            if (!appReady && appProblemNow != null) {
                o.field("app_problem", appProblemNow);
            }
        }
        try {
            sess.set(s.identity().path(), o.toString(), -1);
        } catch (CairnException e) {
            log.warn("presence update failed: {}", e.getMessage());
        }
    }

    /** The JSON /healthz serves. */
    String health() {
        String error = lastError;
        JsonFields o = new JsonFields().field("status", error == null ? "ok" : "degraded").field("ready", ready)
                .field("applied_rev", applied).field("presence", status());
        if (error != null) {
            o.field("error", error);
        }
        return o.toString();
    }

    /**
     * The pod is terminating (SIGTERM): the presence says so at once (or goes, with
     * {@code removeOnTerm}), so watchers learn at the start of the pod's termination, not a TTL
     * after it is gone; the files stay current for the terminate delay; then the session ends
     * cleanly and the sidecar closes. Blocks until then.
     */
    public void terminate() {
        try {
            worker.submit(() -> {
                terminating = true;
                if (s.lifecycle().removeOnTerm()) {
                    endSession();
                    log.info("terminating: presence {} removed", s.identity() == null ? "" : s.identity().path());
                } else {
                    updatePresence();
                    log.info("terminating: presence marked terminating");
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("terminating: the presence was not updated within 5 s (the store does not answer)");
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("terminating: could not update the presence first: {}", e.getCause().getMessage());
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // already closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long delay = s.lifecycle().terminateDelay().toMillis();
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /** Ends the presence session: a clean end removes the presence file at once. */
    private void endSession() {
        Session sess = session;
        session = null;
        if (sess != null) {
            try {
                sess.close();
            } catch (CairnException e) {
                log.info("closing the presence session: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Watch w : watches) {
            w.close();
        }
        endSession();
        if (prober != null) {
            prober.shutdownNow();
        }
        worker.shutdownNow();
    }
}
