/**
 * What the member, the client, the CLI, the sidecar and the operator share on the network:
 * length-prefixed protobuf framing for Netty, TLS contexts that reload their certificates, a
 * DNS cache, and a writer that coalesces flushes. The protocol's messages themselves are
 * generated into {@code io.cairn.proto}.
 */
package io.cairn.net;
