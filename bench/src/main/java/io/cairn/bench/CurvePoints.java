package io.cairn.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A curve run for some systems or sizes only (`--systems cairn` after a change to Cairn,
 * `--sizes 1000000` for one point) keeps the earlier JSON's points it did not measure again, so
 * the file still compares all three systems at every size.
 */
final class CurvePoints {
    private static final List<String> ORDER = List.of("cairn", "etcd", "zookeeper");

    private CurvePoints() {
    }

    /**
     * The measured points, and the earlier file's points of a system and size not measured now;
     * cairn, etcd, zookeeper in turn, each by size.
     */
    static <P> List<P> withOthersFrom(Path earlier, List<P> measured, Function<P, String> system, Function<P, Long> size,
                                      Function<Map<String, Object>, P> parse) throws IOException {
        List<P> all = new ArrayList<>(measured);
        Function<P, String> point = p -> system.apply(p) + "@" + size.apply(p);
        if (Files.exists(earlier)) {
            Set<String> ran = measured.stream().map(point).collect(Collectors.toSet());
            Map<?, ?> json = new ObjectMapper().readValue(earlier.toFile(), Map.class);
            for (Object o : (List<?>) json.get("points")) {
                @SuppressWarnings("unchecked")
                P p = parse.apply((Map<String, Object>) o);
                if (!ran.contains(point.apply(p))) {
                    all.add(p);
                }
            }
        }
        all.sort(Comparator.<P>comparingInt(p -> ORDER.indexOf(system.apply(p))).thenComparing(size));
        return all;
    }

    /** One point of a curve, on a group started for it. */
    interface Measure<P> {
        P measure(String system, int size, ServerGroup g) throws Exception;
    }

    /** The point of a size that could not be measured, with why. */
    interface Failed<P> {
        P failed(String system, int size, Exception e);
    }

    /**
     * Each system at each size on a fresh group ({@code -big} systems reported without the
     * suffix); a point that cannot be measured (a limit of the system, say) is reported as such,
     * not the end of the curve. Each point goes to {@code report} as it is measured.
     */
    static <P> List<P> measureEach(List<String> systems, List<Integer> sizes, Curves.Groups groups, Measure<P> measure,
                                   Failed<P> failed, Consumer<P> report) {
        List<P> points = new ArrayList<>();
        for (String system : systems) {
            String name = system.replace("-big", "");
            for (int n : sizes) {
                P p;
                try (ServerGroup g = groups.start(system)) {
                    p = measure.measure(name, n, g);
                } catch (Exception e) {
                    p = failed.failed(name, n, e);
                }
                points.add(p);
                report.accept(p);
            }
        }
        return points;
    }

    /** A figure to one decimal for the JSON; null for one not measured. */
    static Object round(double v) {
        return Double.isFinite(v) ? (Object) (Math.round(v * 10) / 10.0) : null;
    }

    static double num(Map<String, Object> o, String key) {
        return o.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static String str(Map<String, Object> o, String key) {
        return o.get(key) == null ? null : o.get(key).toString();
    }
}
