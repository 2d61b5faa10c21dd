# cairn-node. Build from the repository root after `mvn -DskipTests package`:
#   docker build -f docker/node.Dockerfile -t ghcr.io/cairn/cairn-node:0.1.0 .
FROM eclipse-temurin:17-jre
COPY node/target/cairn-node-*-all.jar /app/cairn-node.jar
EXPOSE 8046 8047 8048
VOLUME /var/lib/cairn
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=30", "-XX:MaxTenuringThreshold=0", "-jar", "/app/cairn-node.jar"]
