package io.cairn.client;

import io.cairn.net.Causes;
import io.cairn.net.Reloading;
import io.cairn.net.TlsConfig;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Links over blocking JDK sockets: per connection a thread that connects, shakes hands and then
 * reads, and a thread that writes whatever requests queued up, flushing once per batch; answers
 * and the end of a link are handed to one loop thread, so callbacks run one at a time as on
 * Netty's event loop. None of Netty is loaded, TLS included (the JDK reads the PEM files):
 * for a client that makes few calls, such as the sidecar, that is about 3 MiB of class data less,
 * for two threads more. A member that stops reading blocks only this link's writer thread.
 */
final class SocketClientTransport implements Transport {
    private final ScheduledThreadPoolExecutor loop;
    private final Reloading<javax.net.ssl.SSLContext> tls;
    private final int connectTimeoutMs;
    private final Set<SocketLink> open = ConcurrentHashMap.newKeySet();

    SocketClientTransport(TlsConfig tls, Duration connectTimeout) {
        this.tls = tls == null ? null : new Reloading<>(tls, TlsConfig::jdkClientContext);
        this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.loop = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "cairn-client-loop"));
        // Cancelled timers (a call's deadline) leave the queue at once; none run after close.
        loop.setRemoveOnCancelPolicy(true);
        loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public ScheduledExecutorService loop() {
        return loop;
    }

    @Override
    public CompletableFuture<Link> open(InetSocketAddress endpoint, Link.Receiver receiver) {
        SocketLink link = new SocketLink(endpoint, receiver);
        open.add(link);
        daemon(link::run, "cairn-client-read " + Endpoints.show(endpoint)).start();
        return link.opened;
    }

    @Override
    public void close() {
        for (SocketLink l : open) {
            l.close();
        }
        // Each reader reports its link's end on the loop, which fails the calls still on it: a
        // caller blocked on one must not wait forever. A second at most, as Netty's shutdown.
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
        while (!open.isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        loop.shutdown();
    }

    /** Hands a task to the loop; after close there is nobody left to tell. */
    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // The client is closed: its calls were already failed or abandoned.
        }
    }

    private final class SocketLink implements Link {
        final CompletableFuture<Link> opened = new CompletableFuture<>();
        private final InetSocketAddress endpoint;
        private final Link.Receiver receiver;
        private final ArrayDeque<Request> queue = new ArrayDeque<>();
        private volatile Socket socket;
        private volatile boolean active;
        private volatile boolean closing;
        /** Why the writer failed (a reset, a broken pipe): the reader then sees only its socket closed. */
        private volatile String writeFailure;
        /**
         * Whether the receiver has been told the link ended. Until then the link counts as active:
         * the end comes to the receiver after every answer and after the link was handed over, so
         * a call sent meanwhile is failed by the loss, with its reason (a TLS 1.3 member refuses a
         * client's certificate only after the handshake, in the first read).
         */
        private volatile boolean reported;
        /** Over TLS, this client showed the member no certificate. */
        private volatile boolean noCertificateShown;

        SocketLink(InetSocketAddress endpoint, Link.Receiver receiver) {
            this.endpoint = endpoint;
            this.receiver = receiver;
        }

        /** The reader thread: connect, hand over the link, then read answers until the socket ends. */
        void run() {
            Socket s;
            try {
                s = connect();
            } catch (IOException e) {
                open.remove(this);
                onLoop(() -> opened.completeExceptionally(e));
                return;
            }
            active = true;
            if (closing) {
                end(null, false);
                return;
            }
            daemon(this::writeLoop, "cairn-client-write " + Endpoints.show(endpoint)).start();
            onLoop(() -> opened.complete(this));
            String failure = null;
            boolean notCairn = false;
            boolean answered = false;
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 16 << 10));
                byte[] head = new byte[4];
                while (true) {
                    in.readFully(head);
                    int len = (head[0] & 0xff) << 24 | (head[1] & 0xff) << 16 | (head[2] & 0xff) << 8 | head[3] & 0xff;
                    if (len < 0 || len > MAX_FRAME) {
                        notCairn = true;
                        failure = Link.notCairn(endpoint, new String(head, StandardCharsets.ISO_8859_1));
                        break;
                    }
                    // Read as it arrives, not allocated from the length: a peer that is not a member can
                    // announce 60 MB and send nothing, and the sidecar's heap is 24 MB.
                    byte[] frame = in.readNBytes(len);
                    if (frame.length < len) {
                        throw new EOFException();
                    }
                    Response r = Response.parseFrom(frame);
                    answered = true;
                    onLoop(() -> receiver.received(r));
                }
            } catch (EOFException e) {
                // The member closed the connection.
            } catch (IOException e) {
                failure = closing ? null : writeFailure != null ? writeFailure : Causes.innermost(e);
                if (failure != null && !answered && noCertificateShown && !failure.contains("certificate")) {
                    // A TLS 1.3 member checks the client's certificate after the handshake and closes;
                    // its alert is often lost to the reset of a request already on its way.
                    failure += "; this client showed no TLS certificate, which a member started with --client-cert-auth requires";
                }
            }
            end(failure, notCairn);
        }

        /** The connected socket (TLS handshake done), or an exception whose message names the endpoint. */
        private Socket connect() throws IOException {
            Socket plain = new Socket();
            socket = plain;
            try {
                plain.setTcpNoDelay(true);
                plain.connect(new InetSocketAddress(endpoint.getHostString(), endpoint.getPort()), connectTimeoutMs);
            } catch (IOException | RuntimeException e) {
                plain.close();
                throw new IOException(Endpoints.show(endpoint) + ": " + Causes.innermost(e), e);
            }
            if (tls == null) {
                return plain;
            }
            try {
                SSLSocket ssl = (SSLSocket) tls.current().getSocketFactory()
                        .createSocket(plain, endpoint.getHostString(), endpoint.getPort(), true);
                socket = ssl;
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                // A stopped member accepts the TCP connection (the kernel does) but never shakes hands.
                ssl.setSoTimeout(connectTimeoutMs);
                ssl.startHandshake();
                ssl.setSoTimeout(0);
                noCertificateShown = ssl.getSession().getLocalCertificates() == null;
                return ssl;
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw new IOException("TLS with " + Endpoints.show(endpoint) + " failed: " + Causes.innermost(e), e);
            }
        }

        /** The writer thread: everything queued since the last batch, then one flush. */
        private void writeLoop() {
            try {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 16 << 10));
                while (true) {
                    Request r;
                    synchronized (queue) {
                        while (queue.isEmpty() && active) {
                            queue.wait();
                        }
                        if (!active) {
                            return;
                        }
                        r = queue.poll();
                    }
                    // The frame: a 4-byte big-endian length, then the message written straight into the buffer.
                    out.writeInt(r.getSerializedSize());
                    r.writeTo(out);
                    boolean more;
                    synchronized (queue) {
                        more = !queue.isEmpty();
                    }
                    if (!more) {
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // The reader sees the socket end too and reports it, once, with this reason.
                writeFailure = Causes.innermost(e);
                closeSocket();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void end(String failure, boolean notCairn) {
            synchronized (queue) {
                active = false;
                queue.clear();
                queue.notifyAll();
            }
            closeSocket();
            open.remove(this);
            onLoop(() -> {
                reported = true;
                receiver.lost(failure, notCairn);
            });
        }

        private void closeSocket() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing: nothing more to say to this member.
            }
        }

        @Override
        public boolean isActive() {
            return !reported;
        }

        @Override
        public void send(Request r) {
            synchronized (queue) {
                if (active) {
                    queue.add(r);
                    queue.notifyAll();
                }
            }
        }

        @Override
        public void close() {
            closing = true;
            if (socket != null) {
                closeSocket();
            }
        }
    }
}
