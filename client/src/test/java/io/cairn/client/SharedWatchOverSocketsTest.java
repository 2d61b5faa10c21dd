package io.cairn.client;

/** Every test of {@link SharedWatchTest} again, over blocking sockets (the sidecar's transport). */
class SharedWatchOverSocketsTest extends SharedWatchTest {
    @Override
    CairnClient.Builder clientBuilder() {
        return super.clientBuilder().socketTransport(true);
    }
}
