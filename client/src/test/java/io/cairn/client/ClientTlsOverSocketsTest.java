package io.cairn.client;

/** Every test of {@link ClientTlsTest} again, over blocking sockets (the sidecar's transport). */
class ClientTlsOverSocketsTest extends ClientTlsTest {
    @Override
    CairnClient.Builder clientBuilder() {
        return super.clientBuilder().socketTransport(true);
    }
}
