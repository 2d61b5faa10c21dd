# The Cairn operator and its injection webhook.
#   docker build -f docker/operator.Dockerfile -t ghcr.io/cairn/cairn-operator:0.1.0 .
FROM eclipse-temurin:17-jre
COPY operator/target/cairn-operator-*-all.jar /app/cairn-operator.jar
EXPOSE 8443
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xmx192m", "-jar", "/app/cairn-operator.jar"]
