package io.cairn.client;

/** Every test of {@link SessionTest} again, over blocking sockets (the sidecar's transport). */
class SessionOverSocketsTest extends SessionTest {
    @Override
    CairnClient.Builder clientBuilder() {
        return super.clientBuilder().socketTransport(true);
    }
}
