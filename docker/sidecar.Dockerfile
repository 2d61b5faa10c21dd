# cairn-sidecar, configured by CAIRN_* environment (the operator's webhook sets it).
#   docker build -f docker/sidecar.Dockerfile -t ghcr.io/cairn/cairn-sidecar:0.1.0 .
# The runtime is cut down to the modules the sidecar uses (jdeps --print-module-deps), 70 MB with
# its class-data-sharing archive: small enough for cairn-exec-install to copy into an app
# container whose entrypoint the sidecar wraps (cairn.io/exec). Not compressed: a compressed
# module image cost the sidecar 5 MB more resident memory.
FROM eclipse-temurin:17-jdk AS runtime
RUN jlink --add-modules java.base,java.logging,java.naming,java.net.http,java.xml,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported,jdk.crypto.ec \
      --strip-debug --no-man-pages --no-header-files --output /runtime \
 && /runtime/bin/java -Xshare:dump

FROM ubuntu:24.04
COPY --from=runtime /runtime /opt/cairn/jre
ENV PATH=/opt/cairn/jre/bin:$PATH
COPY sidecar/target/cairn-sidecar-*-all.jar /app/cairn-sidecar.jar
COPY docker/cairn-exec-install /app/cairn-exec-install
EXPOSE 8049
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xms4m", "-Xmx24m", "-Xss256k", "-XX:MaxMetaspaceSize=40m", \
  "-XX:ReservedCodeCacheSize=12m", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:-UsePerfData", \
  "-XX:MaxDirectMemorySize=8m", "-Dio.netty.allocator.type=unpooled", "-Dio.netty.noPreferDirect=true", \
  "-jar", "/app/cairn-sidecar.jar"]
