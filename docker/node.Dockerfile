# cairn-node. Build from the repository root after `mvn -DskipTests package`:
#   docker build -f docker/node.Dockerfile -t ghcr.io/cairn/cairn-node:0.1.0 .
FROM eclipse-temurin:17-jre
COPY node/target/cairn-node-*-all.jar /app/cairn-node.jar
# The cairn command line beside the member, as etcd ships etcdctl: the operator's backup CronJob
# runs `java -jar /app/cairn.jar snapshot save` from this image.
COPY cli/target/cairn-cli-*-all.jar /app/cairn.jar
EXPOSE 8046 8047 8048
VOLUME /var/lib/cairn
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=30", "-XX:MaxTenuringThreshold=0", "-jar", "/app/cairn-node.jar"]
