package io.cairn.node.testing;

import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A deliberately plain client: a socket, 4-byte big-endian lengths, protobuf. It speaks the wire
 * the way a Doozer client does and can also send what no good client would (truncated frames,
 * garbage, lying lengths).
 */
public final class WireClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    public WireClient(InetSocketAddress addr) {
        this(addr, null);
    }

    /** Over TLS when {@code tls} is given: the member's certificate must name the address dialled. */
    public WireClient(InetSocketAddress addr, javax.net.ssl.SSLContext tls) {
        try {
            if (tls == null) {
                socket = new Socket(addr.getAddress(), addr.getPort());
            } else {
                javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                        .createSocket(addr.getAddress().getHostAddress(), addr.getPort());
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                socket = s;
            }
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void send(Request req) {
        byte[] b = req.toByteArray();
        sendFrame(b);
    }

    public void sendFrame(byte[] payload) {
        try {
            out.writeInt(payload.length);
            out.write(payload);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response read() {
        try {
            int len = in.readInt();
            byte[] b = new byte[len];
            in.readFully(b);
            return Response.parseFrom(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends and reads the next response (for one request at a time). */
    public Response call(Request req) {
        send(req);
        return read();
    }

    /** True when the server closed the connection (EOF within the socket timeout). */
    public boolean closedByServer() {
        try {
            while (true) {
                int len = in.readInt();
                in.skipNBytes(len);
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by peer also means closed
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
