package io.cairn.sidecar;

import java.util.Optional;
import java.util.Set;

/**
 * When a sidecar container run with {@code --exit-with-apps} ends: once the app containers'
 * processes it has seen are all gone. The kubelet starts the app containers before it (they come
 * first in the pod), but an app that ends before the sidecar first looks is never seen; if none
 * has been seen for {@code unseenMillis} after the sidecar started, it ends all the same, since
 * a Job whose sidecar waits for an app that has ended would never complete.
 */
final class AppsEnd {
    private final long startMillis;
    private final long unseenMillis;
    private boolean seen;

    AppsEnd(long startMillis, long unseenMillis) {
        this.startMillis = startMillis;
        this.unseenMillis = unseenMillis;
    }

    /** Given the app processes running at {@code nowMillis}: why the sidecar should end now, or empty. */
    Optional<String> observe(Set<Long> apps, long nowMillis) {
        if (!apps.isEmpty()) {
            seen = true;
            return Optional.empty();
        }
        if (seen) {
            return Optional.of("the app containers' processes have all ended");
        }
        if (nowMillis - startMillis >= unseenMillis) {
            return Optional.of("no app container's process was seen in " + unseenMillis / 1000
                    + " s (did the app end before the sidecar started?)");
        }
        return Optional.empty();
    }

    boolean seen() {
        return seen;
    }
}
