package io.cairn.node.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay in front of a node, so a test can cut every connection (as a network
 * blip would) while the node keeps running, refuse new ones for a while, or go silent (a hung
 * store: connections stay open and nothing they carry arrives).
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private boolean refusing;
    private int accepted;
    private volatile boolean closed;
    private volatile boolean silent;

    public TcpProxy(InetSocketAddress target) {
        this.target = target;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    public String endpoint() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Closes every relayed connection now. */
    public void cutAll() {
        synchronized (lock) {
            for (Socket s : open) {
                closeQuietly(s);
            }
            open.clear();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** How many connections it has relayed so far. */
    public int accepted() {
        synchronized (lock) {
            return accepted;
        }
    }

    /** While refusing, new connections are closed at once. */
    public void refuse(boolean on) {
        synchronized (lock) {
            refusing = on;
        }
    }

    /** While silent, what either side sends is dropped: requests get no answer, and no error either. */
    public void silent(boolean on) {
        silent = on;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                // Checked and registered under the lock: a connection accepted just before
                // refuse(true) and cutAll() must be cut by them, not slip in after and relay on.
                synchronized (lock) {
                    if (refusing) {
                        closeQuietly(in);
                        continue;
                    }
                    accepted++;
                    open.add(in);
                    Socket out = new Socket(target.getAddress(), target.getPort());
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                }
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                int n;
                while ((n = i.read(buf)) >= 0) {
                    if (silent) {
                        continue;
                    }
                    o.write(buf, 0, n);
                    o.flush();
                }
            } catch (IOException ignored) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        closed = true;
        cutAll();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
