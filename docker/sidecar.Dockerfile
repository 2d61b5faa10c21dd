# cairn-sidecar, configured by CAIRN_* environment (the operator's webhook sets it).
#   docker build -f docker/sidecar.Dockerfile -t ghcr.io/cairn/cairn-sidecar:0.1.0 .
FROM eclipse-temurin:17-jre
COPY sidecar/target/cairn-sidecar-*-all.jar /app/cairn-sidecar.jar
EXPOSE 8049
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xms4m", "-Xmx24m", "-Xss256k", "-XX:MaxMetaspaceSize=40m", \
  "-XX:ReservedCodeCacheSize=12m", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:-UsePerfData", \
  "-XX:MaxDirectMemorySize=8m", "-Dio.netty.allocator.type=unpooled", "-Dio.netty.noPreferDirect=true", \
  "-jar", "/app/cairn-sidecar.jar"]
