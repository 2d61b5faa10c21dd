package io.cairn.node.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.net.NettyTransport;
import io.cairn.node.testing.TcpProxy;
import io.cairn.proto.Peer.Heartbeat;
import io.cairn.proto.Peer.PeerMessage;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PeerTransportTest {
    static PeerMessage heartbeat(long from, long to) {
        return PeerMessage.newBuilder().setFrom(from).setTo(to).setHeartbeat(Heartbeat.newBuilder().setCommit(1)).build();
    }

    @Test
    void aLinkThatDropsDialsAgainWithoutWaitingForTheNextSend() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NettyTransport.ioHandler());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        LinkedBlockingQueue<PeerMessage> atTwo = new LinkedBlockingQueue<>();
        PeerTransport one = PeerTransport.start(1, any, group, group, m -> { });
        PeerTransport two = PeerTransport.start(2, any, group, group, atTwo::add);
        try (TcpProxy proxy = new TcpProxy(two.address())) {
            String[] hp = proxy.endpoint().split(":");
            one.setAddress(2, new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
            // A first send dials and is dropped; resend until the link is up.
            PeerMessage got = null;
            for (int i = 0; i < 100 && got == null; i++) {
                one.send(heartbeat(1, 2));
                got = atTwo.poll(50, TimeUnit.MILLISECONDS);
            }
            assertThat(got).as("member 2 heard member 1").isNotNull();
            assertThat(proxy.accepted()).isEqualTo(1);

            // The connection drops (member 2 restarted, say). Member 1 sends nothing, as a
            // follower sends nothing to another follower, yet it connects again: otherwise its
            // first message afterwards, a pre-vote say, would be lost while it dialled.
            proxy.cutAll();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (proxy.accepted() < 2 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(proxy.accepted()).as("member 1 dialled member 2 again unasked").isEqualTo(2);
        } finally {
            one.close();
            two.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
