package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.net.WriteTrace;
import io.cairn.net.WriteTrace.Mark;
import io.cairn.net.WriteTrace.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One client's writes cut into hops from the marks of four processes, as {@code --floor} does. */
class WriteTimelineTest {
    private final List<Mark> client = new ArrayList<>();
    private final List<Mark> slowFollower = new ArrayList<>();
    private final List<Mark> leader = new ArrayList<>();
    private final List<Mark> fastFollower = new ArrayList<>();

    /** Extra time in the faster follower's fdatasync of the write being made, µs. */
    private long syncDelay;

    private void at(List<Mark> marks, long base, long us, Stage s) {
        marks.add(new Mark((base + us + (us >= 280 ? syncDelay : 0)) * 1000, s));
    }

    /** One write starting at {@code base} µs; the hops below are what the timeline should find. */
    private void write(long base) {
        at(client, base, 0, Stage.CALL);
        at(client, base, 5, Stage.FLUSH);
        at(leader, base, 20, Stage.FLUSH); // a heartbeat, before the proposal: not the accepts
        at(leader, base, 30, Stage.REQUEST_READ);
        at(leader, base, 35, Stage.PROPOSED);
        at(leader, base, 40, Stage.ACCEPT_SENT);
        at(leader, base, 50, Stage.FLUSH);
        at(leader, base, 60, Stage.LOG_WRITE);
        at(fastFollower, base, 80, Stage.ACCEPT_READ);
        at(fastFollower, base, 85, Stage.LOG_WRITE);
        at(slowFollower, base, 90, Stage.ACCEPT_READ);
        at(slowFollower, base, 120, Stage.LOG_WRITE);
        at(leader, base, 250, Stage.LOG_SYNCED);
        at(leader, base, 255, Stage.DURABLE);
        at(fastFollower, base, 280, Stage.LOG_SYNCED);
        at(fastFollower, base, 282, Stage.DURABLE);
        at(fastFollower, base, 285, Stage.ACCEPTED_SENT);
        at(fastFollower, base, 290, Stage.FLUSH);
        at(leader, base, 300, Stage.ACCEPTED_READ);
        at(slowFollower, base, 300, Stage.LOG_SYNCED);
        at(slowFollower, base, 310, Stage.ACCEPTED_SENT);
        at(leader, base, 310, Stage.APPLIED);
        at(slowFollower, base, 312, Stage.FLUSH);
        at(leader, base, 320, Stage.ACCEPTED_READ);
        at(leader, base, 330, Stage.FLUSH);
        at(client, base, 400, Stage.ANSWER_READ);
        at(client, base, 410, Stage.RETURNED);
    }

    @Test
    void eachHopRunsFromTheStageBeforeAlongTheFasterFollower() {
        write(1_000);
        write(2_000);
        write(3_000);
        WriteTimeline t = new WriteTimeline(client, List.of(slowFollower, leader, fastFollower));

        assertThat(t.writes).isEqualTo(3);
        assertThat(t.path).extracting(WriteTimeline.Hop::p50Us)
                .containsExactly(5.0, 25.0, 5.0, 15.0, 30.0, 5.0, 195.0, 5.0, 5.0, 10.0, 10.0, 20.0, 70.0, 10.0);
        assertThat(t.path).extracting(WriteTimeline.Hop::meanUs).containsExactlyElementsOf(
                t.path.stream().map(WriteTimeline.Hop::p50Us).toList());
        assertThat(t.leaderDisk).extracting(WriteTimeline.Hop::p50Us).containsExactly(10.0, 200.0, 205.0);
    }

    @Test
    void theSlowestWritesShowWhichHopTheyWaitedIn() {
        for (int i = 0; i < 200; i++) {
            syncDelay = i == 17 || i == 150 ? 3_000 : 0; // two writes of 200 wait 3 ms more for the follower's disk
            write(1_000 + 10_000L * i);
        }
        WriteTimeline t = new WriteTimeline(client, List.of(slowFollower, leader, fastFollower));

        assertThat(t.writes).isEqualTo(200);
        assertThat(t.slowWrites).isEqualTo(2);
        assertThat(t.slowFromUs).isEqualTo(3_410.0);
        assertThat(t.path.get(6).what()).contains("fdatasync");
        assertThat(t.path.get(6).p50Us()).isEqualTo(195.0);
        assertThat(t.path.get(6).meanUs()).isEqualTo(225.0);
        assertThat(t.path.get(6).slowMeanUs()).isEqualTo(3_195.0);
        assertThat(t.path).extracting(WriteTimeline.Hop::slowLongest).containsExactly(0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0);
        // Every other hop of the slow writes took what it always takes.
        for (int h = 0; h < t.path.size(); h++) {
            if (h != 6) {
                assertThat(t.path.get(h).slowMeanUs()).as(t.path.get(h).what()).isEqualTo(t.path.get(h).p50Us());
            }
        }
        assertThat(t.leaderDisk).extracting(WriteTimeline.Hop::slowMeanUs).containsExactly(10.0, 200.0, 205.0);
        Map<String, Object> report = WriteFloorTest.result(0);
        report.put("hops", t.json());
        assertThat(WriteFloor.markdown(report))
                .contains("slowest 1% of those writes by call-to-return time (2 writes of 3410 µs or more): each hop's mean")
                .contains("| follower | to its log written and fdatasync'd | 195.0 | 225.0 | 3195.0 | 2 |")
                .contains("| leader | its log written and fdatasync'd | 200.0 | 200.0 | 200.0 |\n");
    }

    @Test
    void aWriteWithAMarkMissingIsLeftOut() {
        write(1_000);
        write(2_000);
        fastFollower.removeIf(m -> m.stage() == Stage.LOG_SYNCED && m.nanos() > 2_000_000);
        slowFollower.removeIf(m -> m.stage() == Stage.LOG_SYNCED && m.nanos() > 2_000_000);
        WriteTimeline t = new WriteTimeline(client, List.of(slowFollower, leader, fastFollower));
        assertThat(t.writes).isEqualTo(1);
    }

    @Test
    void theFloorReadsTheTracesTheProcessesWrote(@TempDir Path dir) throws IOException {
        write(1_000);
        WriteTrace.write(client, dir.resolve(WriteFloor.CLIENT_TRACE));
        WriteTrace.write(slowFollower, dir.resolve("member-1.4711"));
        WriteTrace.write(leader, dir.resolve("member-2.4712"));
        WriteTrace.write(fastFollower, dir.resolve("member-3.4713"));

        Map<String, Object> hops = WriteFloor.hops(dir);
        assertThat(hops).containsEntry("writes", 1);
        assertThat(WriteFloor.memberTraceFlag(dir)).isEqualTo("-Dcairn.trace=" + dir.resolve("member-{member}"));

        Files.delete(dir.resolve("member-3.4713"));
        assertThatThrownBy(() -> WriteFloor.hops(dir)).hasMessageContaining("member 3 wrote no trace");
    }

    @Test
    void aTraceFileIsReadBackOrRefusedWithItsLine(@TempDir Path dir) throws IOException {
        WriteTrace.start();
        WriteTrace.mark(Stage.CALL);
        WriteTrace.mark(Stage.RETURNED);
        List<Mark> marks = WriteTrace.stop();
        assertThat(marks).extracting(Mark::stage).containsExactly(Stage.CALL, Stage.RETURNED);
        assertThat(marks.get(1).nanos()).isGreaterThanOrEqualTo(marks.get(0).nanos());
        WriteTrace.mark(Stage.CALL); // stopped: not kept
        assertThat(WriteTrace.stop()).isEmpty();

        Path f = dir.resolve("t");
        WriteTrace.write(marks, f);
        assertThat(WriteTrace.read(f)).isEqualTo(marks);

        Files.writeString(f, "12 1\n13 99\n");
        assertThatThrownBy(() -> WriteTrace.read(f)).hasMessageContaining(f + ":2: no trace stage has code 99");
        Files.writeString(f, "12\n");
        assertThatThrownBy(() -> WriteTrace.read(f)).hasMessageContaining(f + ":1: not a trace line");
    }
}
