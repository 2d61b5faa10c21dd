# cairn-sidecar, configured by CAIRN_* environment (the operator's webhook sets it).
#   docker build -f docker/sidecar.Dockerfile -t ghcr.io/cairn/cairn-sidecar:0.1.0 .
# The runtime is cut down to the modules the sidecar uses (jdeps --print-module-deps, less
# jdk.jfr: Netty only asks whether the flight recorder is there, which loaded 140 classes), 70 MB:
# small enough for cairn-exec-install to copy into an app container whose entrypoint the sidecar
# wraps (cairn.io/exec). Not compressed: a compressed module image cost the sidecar 5 MB more
# resident memory. The default class-data-sharing archive stays for those wrapping JVMs. Java's
# NIO rather than Netty's native epoll for the one connection a sidecar keeps: 130 fewer classes,
# no native library to unpack into /tmp, 1.3 MiB less resident.
FROM eclipse-temurin:17-jdk AS runtime
RUN jlink --add-modules java.base,java.logging,java.naming,java.net.http,java.xml,jdk.httpserver,jdk.management,jdk.unsupported,jdk.crypto.ec \
      --strip-debug --no-man-pages --no-header-files --output /runtime \
 && /runtime/bin/java -Xshare:dump

FROM ubuntu:24.04
COPY --from=runtime /runtime /opt/cairn/jre
ENV PATH=/opt/cairn/jre/bin:$PATH
COPY sidecar/target/cairn-sidecar-*-all.jar /app/cairn-sidecar.jar
COPY docker/cairn-sidecar.classlist /app/cairn-sidecar.classlist
COPY docker/cairn-exec-install /app/cairn-exec-install
# A class-data-sharing archive of just the classes a running sidecar loads (the list is made by
# bench/sidecar-footprint.sh --update-classlist), the JDK's and its own, in place of the JDK's
# archive: the whole archive is resident in every sidecar, so it holds nothing more. Made here,
# by the runtime and against the jar the container runs; a JVM that cannot use it runs without.
# Mapped at the address it was dumped for (ArchiveRelocationMode=0), not relocated to a random
# one as recent Java 17 updates (17.0.15 here) do by default: relocating writes every page of it,
# 20 MiB of each sidecar's own memory; mapped in place, most of it stays file pages that every
# sidecar on a node shares (a second sidecar's own memory 29.4 MiB -> 20.7,
# bench/results/sidecar-footprint.md). The price: the archive's class metadata sits at a fixed
# address, outside address-space randomization.
RUN java -Xshare:dump -XX:SharedClassListFile=/app/cairn-sidecar.classlist -XX:SharedArchiveFile=/app/cairn-sidecar.jsa \
      -XX:+UseSerialGC -Xlog:cds=error -cp /app/cairn-sidecar.jar
EXPOSE 8049
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xms4m", "-Xmx24m", "-Xmn1m", "-Xss256k", "-XX:MaxMetaspaceSize=40m", \
  "-XX:ReservedCodeCacheSize=12m", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:CompileThresholdScaling=20", \
  "-XX:-UsePerfData", "-XX:MaxDirectMemorySize=8m", "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0", \
  "-XX:SharedArchiveFile=/app/cairn-sidecar.jsa", "-jar", "/app/cairn-sidecar.jar"]
