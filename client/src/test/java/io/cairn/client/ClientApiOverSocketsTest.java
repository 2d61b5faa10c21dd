package io.cairn.client;

/** Every test of {@link ClientApiTest} again, over blocking sockets (the sidecar's transport). */
class ClientApiOverSocketsTest extends ClientApiTest {
    @Override
    CairnClient.Builder clientBuilder() {
        return super.clientBuilder().socketTransport(true);
    }
}
