package io.cairn.node.store;

import com.google.protobuf.UnsafeByteOperations;
import io.cairn.node.acl.Grants;
import io.cairn.node.acl.Identity;
import io.cairn.node.acl.Policy;
import io.cairn.node.acl.Right;
import io.cairn.node.acl.Rule;
import io.cairn.proto.State.Change;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Compare;
import io.cairn.proto.State.Entry;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Revision;
import io.cairn.proto.State.SessionEntry;
import io.cairn.proto.State.Snapshot;
import io.cairn.proto.State.Txn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The versioned tree: Cairn's state machine.
 *
 * <p>It is pure: no threads, clocks, sockets or files. It changes only through {@link
 * #apply(Command)}, one command at a time, so replicas fed the same committed sequence hold the
 * same tree. Not thread-safe: its owner serialises access.
 *
 * <p>Every committed change bumps the global revision by one. Reads may name any revision from
 * {@link #oldestRev()} to {@link #rev()}; the events of revisions after {@code oldestRev()} are kept
 * so a watcher can replay them. Older revisions are compacted away and answer TOO_LATE.
 */
public final class VersionedTree {
    private final StoreConfig config;
    private long rev;
    private long oldest;
    /** Every path with a version inside the history window. */
    private final TreeMap<String, VersionChain> chains = new TreeMap<>();
    /** The files as of {@link #rev}: the fast path for reads and every check of a write. */
    private final TreeMap<String, FileEntry> live = new TreeMap<>();
    /** The events of each revision in (oldest, rev]. */
    private final History history = new History();
    /** Open sessions: their TTL and the ephemeral files bound to them. */
    private final TreeMap<Long, Session> sessions = new TreeMap<>();
    private long sessionsChanged;
    /** The session each live ephemeral file belongs to. */
    private final java.util.HashMap<String, Long> owners = new java.util.HashMap<>();
    private long nextSession = 1;

    /** Ephemeral files one session may hold at most. */
    public static final int MAX_FILES_PER_SESSION = 1000;

    /** A session as the state machine knows it (its timing lives with the leader, not here). */
    public record Session(long id, long ttlMs, java.util.TreeSet<String> files, String owner) {
        public Session(long id, long ttlMs, java.util.TreeSet<String> files) {
            this(id, ttlMs, files, "");
        }
    }

    /** Where the policy lives: only rules, one per file directly under {@link Rule#DIR}. */
    public static final String ACL = "/ctl/acl";
    /** Where the JSON Schemas for values live (io.cairn.node.schema.SchemaRule#DIR). */
    public static final String SCHEMA = "/ctl/schema";
    /** The policy as of {@link #rev}; null when a write under {@link #ACL} made it stale. */
    private Policy policy;
    /** Who the command being applied comes from, and when its slot was proposed. */
    private String author;
    private long timeMs;

    public VersionedTree(StoreConfig config) {
        this.config = config;
    }

    public StoreConfig config() {
        return config;
    }

    /** The revision of the last committed change (0 for an empty new tree). */
    public long rev() {
        return rev;
    }

    /** The oldest revision still readable; events are replayable from the one after it. */
    public long oldestRev() {
        return oldest;
    }

    public int fileCount() {
        return live.size();
    }

    // ---- reads ----------------------------------------------------------------------------

    /**
     * The revision a read asking for {@code requested} sees: 0 means the latest; a revision
     * compacted away is TOO_LATE; one not yet reached is RANGE.
     */
    public long readRev(long requested) {
        if (requested == 0) {
            return rev;
        }
        if (requested < 0) {
            throw new StoreException(Err.RANGE, "revision " + requested + " is negative");
        }
        if (requested < oldest) {
            throw new StoreException(Err.TOO_LATE, "revision " + requested
                    + " was compacted; the oldest readable revision is " + oldest);
        }
        if (requested > rev) {
            throw new StoreException(Err.RANGE, "revision " + requested
                    + " is in the future; the current revision is " + rev);
        }
        return requested;
    }

    /**
     * A file's value and rev at {@code atRev} (0: latest). A missing path has rev {@link
     * Revs#MISSING} and a directory {@link Revs#DIR}, both with a null value.
     */
    public FileEntry get(String path, long atRev) {
        Paths.check(path);
        long r = readRev(atRev);
        FileEntry file = fileAt(path, r);
        if (file != null) {
            return file;
        }
        return new FileEntry(path, null, isDirAt(path, r) ? Revs.DIR : Revs.MISSING);
    }

    public Stat stat(String path, long atRev) {
        Paths.check(path);
        long r = readRev(atRev);
        FileEntry file = fileAt(path, r);
        if (file != null) {
            return new Stat(file.rev(), file.value().length);
        }
        if (!isDirAt(path, r)) {
            return new Stat(Revs.MISSING, 0);
        }
        return new Stat(Revs.DIR, childrenAt(path, r).size());
    }

    /** The names of a directory's children in byte order, {@code limit} of them from {@code offset}. */
    public Page<String> getdir(String path, long atRev, int offset, int limit) {
        Paths.check(path);
        checkPaging(offset, limit);
        long r = readRev(atRev);
        if (fileAt(path, r) != null) {
            throw new StoreException(Err.NOTDIR, path + " is a file, not a directory");
        }
        if (!isDirAt(path, r)) {
            throw new StoreException(Err.NOENT, "no such directory: " + path);
        }
        return Page.slice(new ArrayList<>(childrenAt(path, r)), offset, limit);
    }

    /**
     * Every version of file {@code path} the history keeps, oldest first: each set with its value,
     * each deletion. The first may be older than {@link #oldestRev()}: the version in effect then.
     * Empty when none is kept (never a file, or deleted before the window).
     */
    public List<Event> history(String path) {
        VersionChain chain = chains.get(path);
        if (chain == null) {
            return List.of();
        }
        List<Event> out = new ArrayList<>();
        for (Event e : chain.events(path)) {
            // Who made each version and when are kept with its revision's events.
            List<Event> made = history.get(e.rev());
            out.add(made == null || made.isEmpty() ? e : e.by(made.get(0).author(), made.get(0).timeMs()));
        }
        return out;
    }

    /** The last author's grants, and what they were computed from: a run of writes from one caller looks them up once. */
    private io.cairn.proto.State.Identity lastAuthor;
    private Policy lastPolicy;
    private Grants lastGrants;

    private Grants grantsOf(io.cairn.proto.State.Identity author) {
        Policy p = policy();
        if (p != lastPolicy || !author.equals(lastAuthor)) {
            lastGrants = p.grantsFor(Identity.fromProto(author));
            lastPolicy = p;
            lastAuthor = author;
        }
        return lastGrants;
    }

    /**
     * The policy under {@link #ACL} as of the latest revision. A rule is checked when written, so
     * every one parses; one that does not (a tree restored from an altered backup) grants nothing,
     * which under deny-by-default is never more than it meant to.
     */
    public Policy policy() {
        if (policy == null) {
            List<Rule> rules = new ArrayList<>();
            for (FileEntry f : live.subMap(Rule.DIR + "/", Rule.DIR + "0").values()) {
                try {
                    rules.add(Rule.parse(f.path(), f.value()));
                } catch (StoreException unparsable) {
                    // left out: see above
                }
            }
            policy = new Policy(rules);
        }
        return policy;
    }

    /** The files matching {@code glob} in byte order, {@code limit} of them from {@code offset}. */
    public Page<FileEntry> walk(Glob glob, long atRev, int offset, int limit) {
        return walk(glob, atRev, offset, limit, null);
    }

    /** {@link #walk}, of the matching files whose path {@code keep} accepts (null: all), before paging. */
    public Page<FileEntry> walk(Glob glob, long atRev, int offset, int limit, java.util.function.Predicate<String> keep) {
        checkPaging(offset, limit);
        long r = readRev(atRev);
        List<FileEntry> out = new ArrayList<>();
        boolean[] more = {false};
        int[] skipped = {0};
        forEachFileAt(glob.literalPrefix(), r, file -> {
            if (more[0] || !glob.matches(file.path()) || keep != null && !keep.test(file.path())) {
                return;
            }
            if (skipped[0] < offset) {
                skipped[0]++;
            } else if (out.size() < limit) {
                out.add(file);
            } else {
                more[0] = true;
            }
        });
        return new Page<>(List.copyOf(out), more[0]);
    }

    private static void checkPaging(int offset, int limit) {
        if (offset < 0) {
            throw new StoreException(Err.RANGE, "offset " + offset + " is negative");
        }
        if (limit < 1) {
            throw new StoreException(Err.RANGE, "limit " + limit + " must be at least 1");
        }
    }

    private FileEntry fileAt(String path, long r) {
        if (r == rev) {
            return live.get(path);
        }
        VersionChain chain = chains.get(path);
        VersionChain.Version v = chain == null ? null : chain.at(r);
        return v == null ? null : new FileEntry(path, v.value(), v.rev());
    }

    private boolean isDirAt(String path, long r) {
        if (path.equals(Paths.ROOT)) {
            return true;
        }
        String prefix = Paths.childPrefix(path);
        if (r == rev) {
            String next = live.ceilingKey(prefix);
            return next != null && next.startsWith(prefix);
        }
        for (Map.Entry<String, VersionChain> e : chains.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            if (e.getValue().at(r) != null) {
                return true;
            }
        }
        return false;
    }

    private TreeSet<String> childrenAt(String dir, long r) {
        String prefix = Paths.childPrefix(dir);
        TreeSet<String> names = new TreeSet<>();
        forEachFileAt(prefix, r, file -> {
            String rest = file.path().substring(prefix.length());
            int slash = rest.indexOf('/');
            names.add(slash < 0 ? rest : rest.substring(0, slash));
        });
        return names;
    }

    /** Visits, in path order, every file existing at {@code r} whose path starts with {@code prefix}. */
    private void forEachFileAt(String prefix, long r, Consumer<FileEntry> visit) {
        if (r == rev) {
            for (Map.Entry<String, FileEntry> e : live.tailMap(prefix, true).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                visit.accept(e.getValue());
            }
            return;
        }
        for (Map.Entry<String, VersionChain> e : chains.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            VersionChain.Version v = e.getValue().at(r);
            if (v != null) {
                visit.accept(new FileEntry(e.getKey(), v.value(), v.rev()));
            }
        }
    }

    // ---- history ---------------------------------------------------------------------------

    /**
     * The retained events with rev at least {@code fromRev} that match {@code glob}, in order, at
     * most {@code max} of them. TOO_LATE when some of those events were compacted away.
     */
    public List<Event> eventsFrom(long fromRev, Glob glob, int max) {
        long from = Math.max(fromRev, 1);
        if (from <= oldest) {
            throw new StoreException(Err.TOO_LATE, "revision " + fromRev
                    + " was compacted; watch from " + (oldest + 1) + " or later, after reading the tree at " + oldest);
        }
        List<Event> out = new ArrayList<>();
        long end = history.firstRev() + history.size();
        for (long r = Math.max(from, history.firstRev()); r < end; r++) {
            for (Event e : history.get(r)) {
                if (glob.matches(e.path())) {
                    out.add(e);
                    if (out.size() >= max) {
                        return out;
                    }
                }
            }
        }
        return out;
    }

    /**
     * The latest revision after {@code rev} at which anything at or under {@code path} was set
     * or deleted; {@code rev} when nothing was. Reads the retained history from {@code rev + 1}
     * on, newest first; TOO_LATE when part of it is gone.
     */
    public long lastChangeAfter(String path, long rev) {
        if (rev < oldest) {
            throw new StoreException(Err.TOO_LATE, "changes under " + path + " after revision " + rev
                    + " are no longer all known: the history starts after revision " + oldest);
        }
        long end = history.size() == 0 ? 0 : history.firstRev() + history.size() - 1;
        for (long r = end; r > rev && r >= history.firstRev(); r--) {
            for (Event e : history.get(r)) {
                if (Paths.isUnder(e.path(), path)) {
                    return r;
                }
            }
        }
        return rev;
    }

    /** The events of exactly one retained revision (empty when none are retained for it). */
    public List<Event> eventsOf(long r) {
        List<Event> events = history.get(r);
        return events == null ? List.of() : events;
    }

    // ---- writes ----------------------------------------------------------------------------

    /**
     * Applies one committed command. Never throws for a bad command: refusals come back in
     * {@link ApplyResult#error()} with nothing changed, so every replica agrees on them too.
     */
    public ApplyResult apply(Command command) {
        return apply(command, 0);
    }

    /**
     * Applies one committed command from a slot the leader proposed at {@code proposedMs} (its
     * wall clock, ms since the epoch; 0: unknown), which the revision it makes records with its
     * author. A command marked {@code authorize} is checked against the policy as of its place in
     * the log: every member refuses it alike, at the same revision.
     */
    public ApplyResult apply(Command command, long proposedMs) {
        author = command.hasAuthor() ? command.getAuthor().getName() : null;
        timeMs = proposedMs;
        Grants grants = command.getAuthorize() && command.hasAuthor() ? grantsOf(command.getAuthor()) : null;
        if (command.hasSessionOp()) {
            return applySession(command.getSessionOp(), grants);
        }
        Txn txn = command.getTxn();
        boolean succeeded;
        try {
            if (grants != null) {
                authorize(txn, grants);
            }
            succeeded = evaluate(txn.getCompareList());
        } catch (StoreException e) {
            return ApplyResult.failed(rev, e);
        }
        List<Op> ops = succeeded ? txn.getSuccessList() : txn.getFailureList();
        return applyOps(ops, command.getSystem(), succeeded);
    }

    /**
     * PERMISSION_DENIED unless {@code grants} hold every right the transaction needs, whichever
     * branch it takes: read for its compares and GETs, write for its SETs and DELs, and admin
     * for a change to the policy itself.
     */
    private static void authorize(Txn txn, Grants grants) {
        if (grants.all()) {
            return;
        }
        for (Compare c : txn.getCompareList()) {
            grants.check(c.getPath(), Right.READ);
        }
        for (List<Op> branch : List.of(txn.getSuccessList(), txn.getFailureList())) {
            for (Op op : branch) {
                Right needed = op.getKind() == Op.Kind.GET ? Right.READ
                        : Paths.isUnder(op.getPath(), ACL) ? Right.ADMIN : Right.WRITE;
                grants.check(op.getPath(), needed);
            }
        }
    }

    private boolean evaluate(List<Compare> compares) {
        boolean all = true;
        for (int i = 0; i < compares.size(); i++) {
            Compare c = compares.get(i);
            if (!c.hasPath()) {
                throw new StoreException(Err.INVALID, "compare " + i + ": no path");
            }
            Paths.check(c.getPath());
            FileEntry file = live.get(c.getPath());
            Compare.Op op = c.hasOp() ? c.getOp() : Compare.Op.EQUAL;
            int cmp;
            switch (c.hasTarget() ? c.getTarget() : Compare.Target.REV) {
                case REV -> {
                    long current = file == null ? Revs.MISSING : file.rev();
                    cmp = Long.compare(current, c.getRev());
                }
                case VALUE -> {
                    if (file == null) {
                        // A missing file is unequal to every value and orders before all of them.
                        cmp = -1;
                    } else {
                        cmp = Arrays.compareUnsigned(file.value(), c.getValue().toByteArray());
                    }
                }
                case EXISTS -> cmp = Boolean.compare(file != null, c.getExists());
                case PREFIX_REV -> cmp = Long.compare(lastChangeAfter(c.getPath(), c.getRev()), c.getRev());
                default -> throw new StoreException(Err.INVALID, "compare " + i + ": unknown target");
            }
            boolean holds = switch (op) {
                case EQUAL -> cmp == 0;
                case NOT_EQUAL -> cmp != 0;
                case LESS -> cmp < 0;
                case GREATER -> cmp > 0;
            };
            all &= holds;
        }
        return all;
    }

    /**
     * What a transaction's first change to a path replaced: the path's chain and how long it was
     * (not a copy: a chain holds the whole history window of its path, and copying it on every
     * write was most of what a member allocated under write load), its live file and its owner.
     */
    private record Undo(VersionChain chain, int chainSize, FileEntry file, Long owner) {}

    private ApplyResult applyOps(List<Op> ops, boolean system, boolean succeeded) {
        long next = rev + 1;
        Map<String, Undo> undo = new HashMap<>();
        List<Event> events = new ArrayList<>();
        List<OpResult> results = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            try {
                results.add(applyOp(op, system, next, undo, events));
            } catch (StoreException e) {
                rollback(undo);
                StoreException shown = ops.size() == 1 ? e
                        : new StoreException(e.code(), "op " + i + ": " + e.getMessage(),
                                e.hasCurrentRev() ? e.currentRev() : Long.MIN_VALUE);
                return ApplyResult.failed(rev, shown);
            }
        }
        if (!events.isEmpty()) {
            rev = next;
            history.add(next, List.copyOf(events));
            compact();
        }
        return new ApplyResult(rev, succeeded, List.copyOf(results), List.copyOf(events), null);
    }

    private OpResult applyOp(Op op, boolean system, long next, Map<String, Undo> undo, List<Event> events) {
        if (!op.hasKind()) {
            throw new StoreException(Err.INVALID, "op has no kind (GET, SET or DEL)");
        }
        if (!op.hasPath()) {
            throw new StoreException(Err.MISSING_ARG, "op " + op.getKind() + " has no path");
        }
        String path = Paths.check(op.getPath());
        switch (op.getKind()) {
            case GET -> {
                FileEntry file = live.get(path);
                if (file != null) {
                    return new OpResult(path, file.value(), file.rev());
                }
                return new OpResult(path, null, isDirAt(path, rev) ? Revs.DIR : Revs.MISSING);
            }
            case SET -> {
                byte[] value = op.getValue().toByteArray();
                checkWritable(path, system);
                if (Paths.isUnder(path, ACL)) {
                    Rule.parse(path, value);
                }
                if (value.length > config.maxValueBytes()) {
                    throw new StoreException(Err.TOO_LARGE, "value of " + value.length
                            + " bytes exceeds the limit of " + config.maxValueBytes() + " bytes");
                }
                FileEntry file = live.get(path);
                // A file that exists has no descendants and no file above it (no write makes
                // either): only a new one needs the directory checks.
                if (file == null) {
                    checkCreatable(path);
                }
                checkExpectedRev(path, op.getRev(), file);
                long session = op.getSession();
                checkOwner(path, session);
                if (session != 0) {
                    Session s = sessions.get(session);
                    if (s == null) {
                        throw new StoreException(Err.SESSION_EXPIRED, "session " + session + " has ended; its files are gone");
                    }
                    if (file != null && owners.get(path) == null) {
                        throw new StoreException(Err.INVALID, path + " exists as a persistent file; an ephemeral file must be created");
                    }
                    if (!s.files().contains(path) && s.files().size() >= MAX_FILES_PER_SESSION) {
                        throw new StoreException(Err.RANGE, "session " + session + " already holds "
                                + MAX_FILES_PER_SESSION + " ephemeral files (the limit)");
                    }
                }
                chainFor(path, file, undo).put(next, value);
                live.put(path, new FileEntry(path, value, next));
                if (session != 0) {
                    bind(path, session);
                }
                events.add(Event.set(next, path, value).by(author, timeMs));
                return new OpResult(path, null, next);
            }
            case DEL -> {
                checkWritable(path, system);
                if (isDirLive(path)) {
                    throw new StoreException(Err.ISDIR, path + " is a directory; delete its files");
                }
                FileEntry file = live.get(path);
                if (file == null) {
                    throw new StoreException(Err.NOENT, "no such file: " + path);
                }
                checkExpectedRev(path, op.getRev(), file);
                checkOwner(path, op.getSession());
                chainFor(path, file, undo).put(next, null);
                live.remove(path);
                bind(path, null);
                events.add(Event.del(next, path).by(author, timeMs));
                return new OpResult(path, null, next);
            }
            default -> throw new StoreException(Err.INVALID, "unknown op kind " + op.getKind());
        }
    }

    /** An ephemeral file belongs to its session: nobody else may write or delete it. */
    private void checkOwner(String path, long session) {
        Long owner = owners.get(path);
        if (owner != null && owner != session) {
            throw new StoreException(Err.PERMISSION_DENIED, path + " is an ephemeral file of session " + owner
                    + (session == 0 ? "" : ", not of session " + session) + "; only that session may change it");
        }
    }

    /** Records {@code path} as belonging to {@code session} (null: to none). */
    private void bind(String path, Long session) {
        Long before = owners.get(path);
        if (java.util.Objects.equals(before, session)) {
            return;
        }
        if (before != null) {
            owners.remove(path);
            Session s = sessions.get(before);
            if (s != null) {
                s.files().remove(path);
            }
        }
        if (session != null) {
            owners.put(path, session);
            Session s = sessions.get(session);
            if (s != null) {
                s.files().add(path);
            }
        }
    }

    private ApplyResult applySession(io.cairn.proto.State.SessionOp op, Grants grants) {
        switch (op.getKind()) {
            case OPEN -> {
                if (op.getTtlMs() <= 0) {
                    return ApplyResult.failed(rev, new StoreException(Err.INVALID, "a session needs a positive TTL"));
                }
                long id = nextSession++;
                sessions.put(id, new Session(id, op.getTtlMs(), new java.util.TreeSet<>(), author == null ? "" : author));
                sessionsChanged++;
                return new ApplyResult(rev, true, List.of(), List.of(), null, id);
            }
            case CLOSE, EXPIRE -> {
                Session s = sessions.get(op.getId());
                if (s == null) {
                    return ApplyResult.failed(rev, new StoreException(Err.SESSION_EXPIRED, "session " + op.getId() + " has already ended"));
                }
                if (grants != null && !grants.all() && !s.owner().isEmpty() && !s.owner().equals(author)) {
                    return ApplyResult.failed(rev, new StoreException(Err.PERMISSION_DENIED, "session " + s.id()
                            + " belongs to " + s.owner() + "; only it, or an admin, may end it"));
                }
                // Every ephemeral file of the session goes in one revision, which watchers see whole.
                long next = rev + 1;
                List<Event> events = new ArrayList<>();
                for (String path : s.files()) {
                    chains.computeIfAbsent(path, p -> new VersionChain()).put(next, null);
                    live.remove(path);
                    owners.remove(path);
                    events.add(Event.del(next, path).by(author, timeMs));
                }
                sessions.remove(s.id());
                sessionsChanged++;
                if (!events.isEmpty()) {
                    rev = next;
                    history.add(next, List.copyOf(events));
                    compact();
                }
                return new ApplyResult(rev, true, List.of(), List.copyOf(events), null, s.id());
            }
            default -> {
                return ApplyResult.failed(rev, new StoreException(Err.INVALID, "unknown session op"));
            }
        }
    }

    /** The open sessions, in id order. */
    public List<Session> sessions() {
        List<Session> out = new ArrayList<>();
        for (Session s : sessions.values()) {
            out.add(new Session(s.id(), s.ttlMs(), new java.util.TreeSet<>(s.files()), s.owner()));
        }
        return out;
    }

    /** Each open session's TTL, by id: what the leader's clock needs, without copying file lists. */
    public Map<Long, Long> sessionTtls() {
        Map<Long, Long> out = new TreeMap<>();
        sessions.values().forEach(s -> out.put(s.id(), s.ttlMs()));
        return out;
    }

    /**
     * A number that changes whenever a session opens or ends: the leader's session clock looks at
     * the whole list of sessions only then, not on every tick.
     */
    public long sessionsChanged() {
        return sessionsChanged;
    }

    public int sessionCount() {
        return sessions.size();
    }

    /** Live files bound to a session. */
    public int ephemeralCount() {
        return owners.size();
    }

    public boolean hasSession(long id) {
        return sessions.containsKey(id);
    }

    /**
     * Whether a session is known to have ended. A session this replica has not heard of yet
     * (opened in a slot it has not applied) has not ended: sessions are numbered in order.
     */
    public boolean sessionEnded(long id) {
        return id < nextSession && !sessions.containsKey(id);
    }

    /** The session an ephemeral file belongs to, or 0 for a persistent or missing file. */
    public long owner(String path) {
        Long o = owners.get(path);
        return o == null ? 0 : o;
    }

    private void checkWritable(String path, boolean system) {
        if (path.equals(Paths.ROOT)) {
            throw new StoreException(Err.ISDIR, "/ is the root directory");
        }
        if (Paths.isUnder(path, ACL)) {
            if (!Paths.parent(path).equals(Rule.DIR)) {
                throw new StoreException(Err.INVALID, path + ": the policy holds only rules, each a file directly under " + Rule.DIR);
            }
            policy = null;
            return;
        }
        if (Paths.isUnder(path, SCHEMA)) {
            // The schema itself is checked where the write arrives (io.cairn.node.schema), not
            // here: applying stays independent of the validator's version on each member.
            if (!Paths.parent(path).equals(SCHEMA)) {
                throw new StoreException(Err.INVALID, path + ": " + SCHEMA + " holds only schemas, each a file directly under it");
            }
            return;
        }
        if (!system && Paths.isUnder(path, Paths.CTL)) {
            throw new StoreException(Err.READONLY, path + " is under /ctl, which changes only through membership operations"
                    + " (the policy under " + ACL + " and the schemas under " + SCHEMA + " excepted)");
        }
    }

    private static void checkExpectedRev(String path, long expected, FileEntry file) {
        long current = file == null ? Revs.MISSING : file.rev();
        if (expected < Revs.CLOBBER) {
            throw new StoreException(Err.INVALID, "expected rev " + expected
                    + " is not a revision (use -1 to clobber, 0 to create only)");
        }
        if (expected != Revs.CLOBBER && expected != current) {
            String now = file == null ? "does not exist" : "is at rev " + current;
            throw new StoreException(Err.REV_MISMATCH, path + " " + now + ", expected rev " + expected, current);
        }
    }

    private boolean isDirLive(String path) {
        return isDirAt(path, rev);
    }

    /**
     * Throws unless a new file can be made at {@code path}: it is no directory, and no directory
     * above it is a file. Applying a write is mostly finding paths in trees of hundreds of
     * thousands (a replay on restart, a new member catching up), each lookup a dozen cache
     * misses: a parent that holds anything is a directory, so then nothing above it can be a
     * file and one lookup answers for all of them.
     */
    private void checkCreatable(String path) {
        if (isDirLive(path)) {
            throw new StoreException(Err.ISDIR, path + " is a directory");
        }
        String parent = Paths.parent(path);
        if (parent.equals(Paths.ROOT) || isDirLive(parent)) {
            return;
        }
        for (String dir = parent; !dir.equals(Paths.ROOT); dir = Paths.parent(dir)) {
            if (live.containsKey(dir)) {
                throw new StoreException(Err.NOTDIR, dir + " is a file, so " + path + " cannot be created under it");
            }
        }
    }

    /**
     * The version chain of {@code path} (made if it has none), whose live file is {@code file};
     * what the path was before this transaction is remembered the first time it changes in it.
     */
    private VersionChain chainFor(String path, FileEntry file, Map<String, Undo> undo) {
        VersionChain chain = chains.get(path);
        if (!undo.containsKey(path)) {
            undo.put(path, new Undo(chain, chain == null ? 0 : chain.size(), file, owners.get(path)));
        }
        if (chain == null) {
            chain = new VersionChain();
            chains.put(path, chain);
        }
        return chain;
    }

    private void rollback(Map<String, Undo> undo) {
        for (Map.Entry<String, Undo> e : undo.entrySet()) {
            Undo u = e.getValue();
            if (u.chain() == null) {
                chains.remove(e.getKey());
            } else {
                u.chain().truncate(u.chainSize());
                chains.put(e.getKey(), u.chain());
            }
            if (u.file() == null) {
                live.remove(e.getKey());
            } else {
                live.put(e.getKey(), u.file());
            }
            bind(e.getKey(), u.owner());
        }
    }

    private void compact() {
        while (rev - oldest > config.history()) {
            oldest++;
            List<Event> events = history.removeOldest(oldest);
            if (events == null) {
                continue;
            }
            for (Event e : events) {
                VersionChain chain = chains.get(e.path());
                if (chain != null && chain.compact(oldest)) {
                    chains.remove(e.path());
                }
            }
        }
    }

    // ---- snapshots -------------------------------------------------------------------------

    /**
     * Every file as of {@code atRev} (0: latest), with the revision it was taken at. A snapshot of
     * the latest revision also carries the retained history, so the tree restored from it serves
     * the same past revisions and watch replays as this one.
     */
    public Snapshot snapshot(long atRev) {
        return capture(atRev).build();
    }

    /**
     * What {@link #snapshot} encodes, taken without encoding it: the files and sessions as
     * lists, the history as references to its revisions' events (which never change once
     * applied). {@link Capture#build} may then run on another thread while this tree moves on:
     * encoding a full history window on the member's loop stalled it for a hundred milliseconds
     * and more.
     */
    public Capture capture(long atRev) {
        long r = readRev(atRev);
        List<FileEntry> files = new ArrayList<>();
        forEachFileAt(Paths.ROOT, r, files::add);
        List<SessionEntry> sess = new ArrayList<>();
        if (r == rev) {
            for (Session x : sessions.values()) {
                SessionEntry.Builder e = SessionEntry.newBuilder().setId(x.id()).setTtlMs(x.ttlMs()).addAllFiles(x.files());
                if (!x.owner().isEmpty()) {
                    e.setOwner(x.owner());
                }
                sess.add(e.build());
            }
        }
        List<FileEntry> base = new ArrayList<>();
        List<List<Event>> events = List.of();
        boolean withHistory = r == rev && oldest < rev;
        if (withHistory) {
            forEachFileAt(Paths.ROOT, oldest, base::add);
            events = history.copy();
        }
        return new Capture(r, r == rev ? nextSession : -1, files, sess, withHistory ? oldest : -1, base,
                history.firstRev(), events);
    }

    /**
     * A tree's state as of one revision, ready to encode on any thread (see {@link #capture}):
     * {@code history} holds the events of consecutive revisions from {@code historyFrom}.
     */
    public record Capture(long rev, long nextSession, List<FileEntry> files, List<SessionEntry> sessions, long oldest,
                          List<FileEntry> baseFiles, long historyFrom, List<List<Event>> history) {
        /** The same capture without its retained history (a backup made without it). */
        public Capture withoutHistory() {
            return new Capture(rev, nextSession, files, sessions, -1, List.of(), historyFrom, List.of());
        }

        /** The size of {@link #build}'s encoding, found without building it (one entry at a time). */
        public long serializedSize() {
            long[] size = {0};
            try {
                fields(new Fields() {
                    @Override
                    public void int64(int field, long v) {
                        size[0] += com.google.protobuf.CodedOutputStream.computeInt64Size(field, v);
                    }

                    @Override
                    public void entry(int field, FileEntry e) {
                        size[0] += SnapshotWire.delimited(field, SnapshotWire.entrySize(e));
                    }

                    @Override
                    public void revision(int field, long at, List<Event> made) {
                        size[0] += SnapshotWire.delimited(field, SnapshotWire.revisionSize(at, made));
                    }

                    @Override
                    public void message(int field, com.google.protobuf.MessageLite m) {
                        size[0] += com.google.protobuf.CodedOutputStream.computeMessageSize(field, m);
                    }
                });
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e); // sizing writes nothing
            }
            return size[0];
        }

        /**
         * Writes {@link #build}'s encoding, byte for byte, one entry at a time: a backup of a
         * million files no longer holds a message of them all and its encoding at once (it ran a
         * member's heap out).
         */
        public void writeTo(com.google.protobuf.CodedOutputStream out) throws java.io.IOException {
            writeTo(bytes -> out);
        }

        /** {@link #writeTo(com.google.protobuf.CodedOutputStream)}, each entry into an encoder with room for it. */
        public void writeTo(EncoderRoom out) throws java.io.IOException {
            fields(new Fields() {
                @Override
                public void int64(int field, long v) throws java.io.IOException {
                    out.room(SnapshotWire.MAX_INT64_FIELD).writeInt64(field, v);
                }

                @Override
                public void entry(int field, FileEntry e) throws java.io.IOException {
                    int size = SnapshotWire.entrySize(e);
                    SnapshotWire.writeEntry(out.room(SnapshotWire.delimited(field, size)), field, e, size);
                }

                @Override
                public void revision(int field, long at, List<Event> made) throws java.io.IOException {
                    int size = SnapshotWire.revisionSize(at, made);
                    SnapshotWire.writeRevision(out.room(SnapshotWire.delimited(field, size)), field, at, made, size);
                }

                @Override
                public void message(int field, com.google.protobuf.MessageLite m) throws java.io.IOException {
                    out.room(com.google.protobuf.CodedOutputStream.computeMessageSize(field, m)).writeMessage(field, m);
                }
            });
        }

        private interface Fields {
            void int64(int field, long v) throws java.io.IOException;

            void entry(int field, FileEntry e) throws java.io.IOException;

            void revision(int field, long rev, List<Event> made) throws java.io.IOException;

            void message(int field, com.google.protobuf.MessageLite m) throws java.io.IOException;
        }

        /** The snapshot's fields in the order protobuf writes them (by field number), as {@link #build} sets them. */
        private void fields(Fields f) throws java.io.IOException {
            f.int64(Snapshot.REV_FIELD_NUMBER, rev);
            for (FileEntry e : files) {
                f.entry(Snapshot.FILES_FIELD_NUMBER, e);
            }
            if (oldest >= 0) {
                f.int64(Snapshot.OLDEST_FIELD_NUMBER, oldest);
                for (FileEntry e : baseFiles) {
                    f.entry(Snapshot.BASE_FILES_FIELD_NUMBER, e);
                }
                for (int i = 0; i < history.size(); i++) {
                    f.revision(Snapshot.HISTORY_FIELD_NUMBER, historyFrom + i, history.get(i));
                }
            }
            if (nextSession >= 0) {
                for (SessionEntry e : sessions) {
                    f.message(Snapshot.SESSIONS_FIELD_NUMBER, e);
                }
                f.int64(Snapshot.NEXT_SESSION_FIELD_NUMBER, nextSession);
            }
        }

        private Revision revision(int i) {
            Revision.Builder rb = Revision.newBuilder().setRev(historyFrom + i);
            List<Event> made = history.get(i);
            if (!made.isEmpty() && made.get(0).author() != null) {
                rb.setAuthor(made.get(0).author());
            }
            if (!made.isEmpty() && made.get(0).timeMs() != 0) {
                rb.setTimeMs(made.get(0).timeMs());
            }
            for (Event ev : made) {
                Change.Builder c = Change.newBuilder().setPath(ev.path()).setDeleted(ev.deleted());
                if (!ev.deleted()) {
                    c.setValue(UnsafeByteOperations.unsafeWrap(ev.value()));
                }
                rb.addChanges(c);
            }
            return rb.build();
        }

        public Snapshot build() {
            Snapshot.Builder b = Snapshot.newBuilder().setRev(rev);
            files.forEach(f -> b.addFiles(toEntry(f)));
            if (nextSession >= 0) {
                b.setNextSession(nextSession);
                b.addAllSessions(sessions);
            }
            if (oldest >= 0) {
                b.setOldest(oldest);
                baseFiles.forEach(f -> b.addBaseFiles(toEntry(f)));
                for (int i = 0; i < history.size(); i++) {
                    b.addHistory(revision(i));
                }
            }
            return b.build();
        }
    }

    private static Entry toEntry(FileEntry f) {
        // Stored values are never changed once applied, so a snapshot can share them rather than
        // copy them: a snapshot of a full history was tens of megabytes of copies (the benchmark
        // saw the garbage as long GC pauses).
        return Entry.newBuilder().setPath(f.path()).setValue(UnsafeByteOperations.unsafeWrap(f.value())).setRev(f.rev()).build();
    }

    /**
     * A tree holding exactly a snapshot's files at its revision. No history comes with it: the
     * snapshot's revision is the oldest readable one, and watches start after it.
     */
    public static VersionedTree restore(Snapshot snapshot, StoreConfig config) {
        // Found by SnapshotReaderFuzzTest: a snapshot at a negative revision restored into a tree
        // that refused every read afterwards.
        if (snapshot.getRev() < 0 || snapshot.hasOldest() && (snapshot.getOldest() < 0 || snapshot.getOldest() > snapshot.getRev())) {
            throw new IllegalArgumentException("snapshot at revision " + snapshot.getRev()
                    + (snapshot.hasOldest() ? " with oldest " + snapshot.getOldest() : "") + " is not a tree's");
        }
        VersionedTree tree = snapshot.hasOldest() && snapshot.getOldest() < snapshot.getRev()
                ? restoreWithHistory(snapshot, config)
                : restoreFiles(snapshot.getRev(), snapshot.getFilesList(), config);
        tree.nextSession = Math.max(1, snapshot.getNextSession());
        for (SessionEntry e : snapshot.getSessionsList()) {
            tree.sessions.put(e.getId(), new Session(e.getId(), e.getTtlMs(), new java.util.TreeSet<>(), e.getOwner()));
            for (String path : e.getFilesList()) {
                if (!tree.live.containsKey(path)) {
                    throw new IllegalArgumentException("snapshot binds missing file " + path + " to session " + e.getId());
                }
                tree.bind(path, e.getId());
            }
        }
        return tree;
    }

    /** Rebuilds the tree at the oldest retained revision, then replays every retained revision. */
    private static VersionedTree restoreWithHistory(Snapshot snapshot, StoreConfig config) {
        VersionedTree tree = restoreFiles(snapshot.getOldest(), snapshot.getBaseFilesList(), config);
        for (Revision r : snapshot.getHistoryList()) {
            if (r.getRev() != tree.rev + 1) {
                throw new IllegalArgumentException("snapshot history jumps from rev " + tree.rev + " to " + r.getRev());
            }
            long next = r.getRev();
            String by = r.hasAuthor() ? r.getAuthor() : null;
            long at = r.getTimeMs();
            List<Event> events = new ArrayList<>(r.getChangesCount());
            for (Change c : r.getChangesList()) {
                String path = c.getPath();
                if (!Paths.isValid(path) || path.equals(Paths.ROOT)) {
                    throw new IllegalArgumentException("snapshot history holds a bad path " + Paths.quote(path));
                }
                if (c.getDeleted()) {
                    tree.chains.computeIfAbsent(path, p -> new VersionChain()).put(next, null);
                    tree.live.remove(path);
                    events.add(Event.del(next, path).by(by, at));
                } else {
                    byte[] value = c.getValue().toByteArray();
                    tree.chains.computeIfAbsent(path, p -> new VersionChain()).put(next, value);
                    tree.live.put(path, new FileEntry(path, value, next));
                    events.add(Event.set(next, path, value).by(by, at));
                }
            }
            tree.rev = next;
            tree.history.add(next, List.copyOf(events));
        }
        if (tree.rev != snapshot.getRev()) {
            throw new IllegalArgumentException("snapshot history ends at rev " + tree.rev + ", not " + snapshot.getRev());
        }
        // The history may be longer than this node keeps.
        tree.compact();
        return tree;
    }

    private static VersionedTree restoreFiles(long rev, List<Entry> files, StoreConfig config) {
        VersionedTree tree = new VersionedTree(config);
        tree.rev = rev;
        tree.oldest = rev;
        for (Entry e : files) {
            String path = e.getPath();
            if (!Paths.isValid(path) || path.equals(Paths.ROOT)) {
                throw new IllegalArgumentException("snapshot holds a bad path " + Paths.quote(path));
            }
            if (e.getRev() < 1 || e.getRev() > rev) {
                throw new IllegalArgumentException("snapshot file " + path + " has rev " + e.getRev()
                        + " outside 1.." + rev);
            }
            byte[] value = e.getValue().toByteArray();
            VersionChain chain = new VersionChain();
            chain.put(e.getRev(), value);
            if (tree.chains.put(path, chain) != null) {
                throw new IllegalArgumentException("snapshot holds " + path + " twice");
            }
            tree.live.put(path, new FileEntry(path, value, e.getRev()));
        }
        NavigableMap<String, FileEntry> restored = tree.live;
        for (String path : restored.keySet()) {
            for (String dir = Paths.parent(path); !dir.equals(Paths.ROOT); dir = Paths.parent(dir)) {
                if (restored.containsKey(dir)) {
                    throw new IllegalArgumentException("snapshot holds file " + path + " under file " + dir);
                }
            }
        }
        return tree;
    }
}
