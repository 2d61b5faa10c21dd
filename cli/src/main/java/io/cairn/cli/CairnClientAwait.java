package io.cairn.cli;

import io.cairn.client.CairnException;
import io.cairn.client.UnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Waits on a client future, surfacing the Cairn error itself. */
final class CairnClientAwait {
    private CairnClientAwait() {}

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CairnException ce) {
                throw ce;
            }
            throw new UnavailableException(String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }
}
