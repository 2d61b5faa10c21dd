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

/**
 * The few client-protocol calls a joining member makes to an existing one: ask who the members
 * are, ask to be added as a learner, ask to be promoted. Plain blocking socket: it runs once, at
 * start.
 */
final class JoinClient {
    private JoinClient() {}

    static Response call(InetSocketAddress member, Request.Builder req) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(member, 3000);
            s.setSoTimeout(20_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] b = req.setTag(1).build().toByteArray();
            out.writeInt(b.length);
            out.write(b);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readInt();
            byte[] r = new byte[len];
            in.readFully(r);
            Response resp = Response.parseFrom(r);
            if (resp.hasErrCode()) {
                throw new IOException(resp.getErrCode() + ": " + resp.getErrDetail());
            }
            return resp;
        }
    }

    static List<MemberInfo> members(InetSocketAddress member) throws IOException {
        return call(member, Request.newBuilder().setVerb(Verb.MEMBERS)).getMembersList();
    }

    static void change(InetSocketAddress member, Verb verb, MemberInfo info) throws IOException {
        call(member, Request.newBuilder().setVerb(verb).setMember(info));
    }
}
