package io.cairn.bench;

import io.cairn.net.WriteTrace;
import io.cairn.net.WriteTrace.Mark;
import io.cairn.net.WriteTrace.Stage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client's writes cut into hops, from the {@link WriteTrace} marks of the client's process and
 * of the three members. With one write in flight at a time, every mark between a call and its
 * return belongs to that write (or to a heartbeat, which marks no stage followed here but a
 * flush); so each hop is the time from one stage to the first mark of the next stage after it, in
 * the process where it happens. The follower followed is the one whose accepted left first.
 */
final class WriteTimeline {
    /**
     * A hop: where it runs, what it is, its median and mean over the writes, and its mean over the
     * slowest of them (see {@link #SLOW_SHARE}), in microseconds; and in how many of the slowest
     * writes it was the longest hop of the path (0 beside the path).
     */
    record Hop(String where, String what, double p50Us, double meanUs, double slowMeanUs, int slowLongest) {}

    /**
     * The writes whose call-to-return time is in this top share are the "slowest": the hops they
     * spent their time in are what sets the p99, which a mean over all writes hides.
     */
    static final double SLOW_SHARE = 0.01;

    /** The stages a write goes through, in order, and who marks each. */
    private record Step(char who, Stage stage, String where, String what) {}

    private static final List<Step> PATH = List.of(
            new Step('c', Stage.CALL, "client", "the call"),
            new Step('c', Stage.FLUSH, "client", "to its connection's event loop, which writes the request"),
            new Step('l', Stage.REQUEST_READ, "loopback, leader", "to the leader's loop reading the request"),
            new Step('l', Stage.PROPOSED, "leader", "to proposing it"),
            new Step('l', Stage.FLUSH, "leader", "to the accepts written to the followers"),
            new Step('f', Stage.ACCEPT_READ, "loopback, follower", "to the follower's loop reading the accept"),
            new Step('f', Stage.LOG_WRITE, "follower", "to its log write starting"),
            new Step('f', Stage.LOG_SYNCED, "follower", "to its log written and fdatasync'd"),
            new Step('f', Stage.ACCEPTED_SENT, "follower", "to its loop sending the accepted"),
            new Step('f', Stage.FLUSH, "follower", "to the accepted written"),
            new Step('l', Stage.ACCEPTED_READ, "loopback, leader", "to the leader's loop reading it"),
            new Step('l', Stage.APPLIED, "leader", "to the write chosen (its own record durable too) and applied"),
            new Step('l', Stage.FLUSH, "leader", "to the answer written"),
            new Step('c', Stage.ANSWER_READ, "loopback, client", "to the client's loop reading the answer"),
            new Step('c', Stage.RETURNED, "client", "to the caller having it"));

    /** The leader's own log, beside the path: from the accepts written to its sync, and to its loop knowing. */
    private static final List<Step> LEADER_DISK = List.of(
            new Step('l', Stage.LOG_WRITE, "leader", "its log write starting"),
            new Step('l', Stage.LOG_SYNCED, "leader", "its log written and fdatasync'd"),
            new Step('l', Stage.DURABLE, "leader", "its loop knowing"));

    final List<Hop> path = new ArrayList<>();
    final List<Hop> leaderDisk = new ArrayList<>();
    final int writes;
    /** How many writes the slowest share holds, and the least call-to-return time among them (µs). */
    final int slowWrites;
    final double slowFromUs;

    /**
     * {@code client} holds the client process's marks, {@code members} each member's; marks of
     * each process oldest first.
     */
    WriteTimeline(List<Mark> client, List<List<Mark>> members) {
        int leader = 0;
        for (int i = 1; i < members.size(); i++) {
            if (count(members.get(i), Stage.REQUEST_READ) > count(members.get(leader), Stage.REQUEST_READ)) {
                leader = i;
            }
        }
        List<long[]> pathTimes = new ArrayList<>();
        List<long[]> diskTimes = new ArrayList<>();
        long call = -1;
        for (Mark m : client) {
            if (m.stage() == Stage.CALL) {
                call = m.nanos();
            } else if (m.stage() == Stage.RETURNED && call >= 0) {
                long[] disk = new long[LEADER_DISK.size()];
                long[] t = follow(call, m.nanos(), client, members, leader, disk);
                if (t != null) {
                    pathTimes.add(t);
                    diskTimes.add(disk);
                }
                call = -1;
            }
        }
        writes = pathTimes.size();
        boolean[] slow = slowest(pathTimes);
        int slowCount = 0;
        long slowFrom = Long.MAX_VALUE;
        int[] longest = new int[PATH.size()];
        for (int w = 0; w < writes; w++) {
            if (!slow[w]) {
                continue;
            }
            long[] t = pathTimes.get(w);
            slowCount++;
            slowFrom = Math.min(slowFrom, total(t));
            int at = 1;
            for (int s = 2; s < PATH.size(); s++) {
                if (t[s] - t[s - 1] > t[at] - t[at - 1]) {
                    at = s;
                }
            }
            longest[at]++;
        }
        slowWrites = slowCount;
        slowFromUs = slowCount == 0 ? Double.NaN : slowFrom / 1e3;
        for (int s = 1; s < PATH.size(); s++) {
            long[] d = new long[writes];
            for (int w = 0; w < writes; w++) {
                d[w] = pathTimes.get(w)[s] - pathTimes.get(w)[s - 1];
            }
            path.add(hop(PATH.get(s), d, slow, longest[s]));
        }
        // The leader's disk from the moment its accepts were written (path step 4).
        for (int s = 0; s < LEADER_DISK.size(); s++) {
            long[] d = new long[writes];
            for (int w = 0; w < writes; w++) {
                d[w] = diskTimes.get(w)[s] - pathTimes.get(w)[4];
            }
            leaderDisk.add(hop(LEADER_DISK.get(s), d, slow, 0));
        }
    }

    private static long total(long[] times) {
        return times[times.length - 1] - times[0];
    }

    /** Which writes are in the slowest {@link #SLOW_SHARE} by call-to-return time; at least one. */
    private static boolean[] slowest(List<long[]> times) {
        int n = times.size();
        boolean[] slow = new boolean[n];
        if (n == 0) {
            return slow;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(total(times.get(b)), total(times.get(a))));
        int k = Math.max(1, (int) Math.ceil(n * SLOW_SHARE));
        for (int i = 0; i < k; i++) {
            slow[order[i]] = true;
        }
        return slow;
    }

    private static Hop hop(Step s, long[] nanos, boolean[] slow, int slowLongest) {
        if (nanos.length == 0) {
            return new Hop(s.where(), s.what(), Double.NaN, Double.NaN, Double.NaN, 0);
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double slowSum = 0;
        int slowN = 0;
        for (int w = 0; w < nanos.length; w++) {
            if (slow[w]) {
                slowSum += nanos[w];
                slowN++;
            }
        }
        return new Hop(s.where(), s.what(), sorted[sorted.length / 2] / 1e3, Arrays.stream(nanos).average().orElse(0) / 1e3,
                slowSum / slowN / 1e3, slowLongest);
    }

    /** The times of every step of one write, or null when a mark is missing (a ring overwritten, say). */
    private static long[] follow(long call, long returned, List<Mark> client, List<List<Mark>> members, int leader, long[] disk) {
        long[] best = null;
        for (int f = 0; f < members.size(); f++) {
            if (f == leader) {
                continue;
            }
            long[] t = new long[PATH.size()];
            long at = call;
            boolean whole = true;
            for (int s = 0; s < PATH.size() && whole; s++) {
                Step step = PATH.get(s);
                List<Mark> marks = step.who() == 'c' ? client : members.get(step.who() == 'l' ? leader : f);
                long next = s == 0 ? call : firstAtOrAfter(marks, step.stage(), at, returned);
                whole = next >= 0;
                t[s] = at = next;
            }
            if (whole && (best == null || t[8] < best[8])) {
                best = t;
            }
        }
        if (best == null) {
            return null;
        }
        long at = best[4];
        for (int s = 0; s < LEADER_DISK.size(); s++) {
            at = firstAtOrAfter(members.get(leader), LEADER_DISK.get(s).stage(), at, returned);
            if (at < 0) {
                return null;
            }
            disk[s] = at;
        }
        return best;
    }

    /** The first mark of {@code stage} in [from, to], or -1. */
    private static long firstAtOrAfter(List<Mark> marks, Stage stage, long from, long to) {
        int lo = 0;
        int hi = marks.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (marks.get(mid).nanos() < from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int i = lo; i < marks.size() && marks.get(i).nanos() <= to; i++) {
            if (marks.get(i).stage() == stage) {
                return marks.get(i).nanos();
            }
        }
        return -1;
    }

    private static long count(List<Mark> marks, Stage s) {
        return marks.stream().filter(m -> m.stage() == s).count();
    }

    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("writes", writes);
        out.put("slowWrites", slowWrites);
        out.put("slowFromUs", Math.round(slowFromUs * 10) / 10.0);
        out.put("path", path.stream().map(WriteTimeline::json).toList());
        out.put("leaderDiskFromAcceptsWritten", leaderDisk.stream().map(WriteTimeline::json).toList());
        return out;
    }

    private static Map<String, Object> json(Hop h) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("where", h.where());
        o.put("what", h.what());
        o.put("p50Us", Math.round(h.p50Us() * 10) / 10.0);
        o.put("meanUs", Math.round(h.meanUs() * 10) / 10.0);
        o.put("slowMeanUs", Math.round(h.slowMeanUs() * 10) / 10.0);
        o.put("slowLongest", h.slowLongest());
        return o;
    }
}
