# cairn-node. Build from the repository root after `mvn -DskipTests package`:
#   docker build -f docker/node.Dockerfile -t ghcr.io/cairn/cairn-node:0.1.0 .
FROM eclipse-temurin:17-jre
COPY node/target/cairn-node-*-all.jar /app/cairn-node.jar
# The cairn command line beside the member, as etcd ships etcdctl: the operator's backup CronJob
# runs `java -jar /app/cairn.jar snapshot save` from this image.
COPY cli/target/cairn-cli-*-all.jar /app/cairn.jar
# A class-data-sharing archive of the classes a member loads (bench/node-classlist.sh makes the
# list): a member starts about 0.3 s sooner, which is most of a restart on a small data set.
# Made here, by the image's runtime and against the jar the container runs; a JVM that cannot
# map it runs without it.
COPY docker/cairn-node.classlist /app/cairn-node.classlist
RUN java -Xshare:dump -XX:SharedClassListFile=/app/cairn-node.classlist -XX:SharedArchiveFile=/app/cairn-node.jsa \
      -XX:+UseG1GC -Xlog:cds=error -cp /app/cairn-node.jar
EXPOSE 8046 8047 8048
VOLUME /var/lib/cairn
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=30", "-XX:MaxTenuringThreshold=0", \
  "-XX:SharedArchiveFile=/app/cairn-node.jsa", "-jar", "/app/cairn-node.jar"]
