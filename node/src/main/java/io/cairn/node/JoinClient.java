package io.cairn.node;

import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The few client-protocol calls a joining member makes to an existing one: ask who the members
 * are, ask to be added as a learner, ask to be promoted. Plain blocking socket: it runs once, at
 * start. With TLS the member shows its own certificate and checks the one it reaches.
 */
final class JoinClient {
    private JoinClient() {}

    /** Sends {@code req}, first authenticating the connection with {@code token} when there is one. */
    static Response call(InetSocketAddress member, Request.Builder req, SSLContext tls, String token) throws IOException {
        try (Socket s = open(member, tls)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            if (token != null) {
                exchange(out, in, Request.newBuilder().setVerb(Verb.ACCESS).setValue(com.google.protobuf.ByteString.copyFromUtf8(token)));
            }
            return exchange(out, in, req);
        }
    }

    private static Response exchange(DataOutputStream out, DataInputStream in, Request.Builder req) throws IOException {
        byte[] b = req.setTag(1).build().toByteArray();
        out.writeInt(b.length);
        out.write(b);
        out.flush();
        int len = in.readInt();
        byte[] r = new byte[len];
        in.readFully(r);
        Response resp = Response.parseFrom(r);
        if (resp.hasErrCode()) {
            throw new IOException(resp.getErrCode() + ": " + resp.getErrDetail());
        }
        return resp;
    }

    private static Socket open(InetSocketAddress member, SSLContext tls) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(Addresses.resolved(member), 3000);
            plain.setSoTimeout(20_000);
            if (tls == null) {
                return plain;
            }
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, member.getHostString(), member.getPort(), true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            return s;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    static List<MemberInfo> members(InetSocketAddress member, SSLContext tls, String token) throws IOException {
        return call(member, Request.newBuilder().setVerb(Verb.MEMBERS), tls, token).getMembersList();
    }

    static void change(InetSocketAddress member, Verb verb, MemberInfo info, SSLContext tls, String token) throws IOException {
        call(member, Request.newBuilder().setVerb(verb).setMember(info), tls, token);
    }
}
