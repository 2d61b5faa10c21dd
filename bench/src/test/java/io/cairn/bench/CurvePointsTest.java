package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A curve run for some systems or sizes keeps the earlier file's other points, and replaces the ones it measured again. */
class CurvePointsTest {
    record P(String system, long size, double value) {}

    private static P parse(Map<String, Object> o) {
        return new P(CurvePoints.str(o, "system"), (long) CurvePoints.num(o, "size"), CurvePoints.num(o, "value"));
    }

    @Test
    void measuredPointsReplaceTheirEarlierOnesAndTheRestAreKept(@TempDir Path dir) throws Exception {
        Path earlier = dir.resolve("curves-x.json");
        Files.writeString(earlier, """
                {"points": [
                  {"system": "etcd", "size": 1000, "value": 1.0},
                  {"system": "cairn", "size": 1000, "value": 2.0},
                  {"system": "cairn", "size": 10, "value": 3.0},
                  {"system": "zookeeper", "size": 10, "value": 4.0}
                ]}""");
        List<P> all = CurvePoints.withOthersFrom(earlier, List.of(new P("cairn", 1000, 9.0)), P::system, P::size,
                CurvePointsTest::parse);
        assertThat(all).containsExactly(new P("cairn", 10, 3.0), new P("cairn", 1000, 9.0), new P("etcd", 1000, 1.0),
                new P("zookeeper", 10, 4.0));
    }

    @Test
    void withoutAnEarlierFileOnlyTheMeasuredPointsAreWritten(@TempDir Path dir) throws Exception {
        List<P> all = CurvePoints.withOthersFrom(dir.resolve("none.json"), List.of(new P("zookeeper", 5, 1), new P("cairn", 7, 2)),
                P::system, P::size, CurvePointsTest::parse);
        assertThat(all).containsExactly(new P("cairn", 7, 2), new P("zookeeper", 5, 1));
    }
}
