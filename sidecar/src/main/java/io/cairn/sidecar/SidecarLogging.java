package io.cairn.sidecar;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;

/**
 * The sidecar's logging, set up in code: the same two formats and variables as the shared
 * logback.xml (CAIRN_LOG_FORMAT text or json, CAIRN_LOG_LEVEL), without logback's XML
 * configuration reader and the JDK's XML parser behind it, which were a sixth of the classes a
 * sidecar loaded and so of its resident memory (bench/results/sidecar-footprint.md). Found by
 * logback through META-INF/services; ranked first, it ends the search for a configuration.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class SidecarLogging extends ContextAwareBase implements Configurator {
    /**
     * The text line of the shared logback.xml's pattern, {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}
     * %-5level %logger{0}: %msg%n} and the stack trace if any, written directly: logback's pattern
     * layout brings its pattern parser and a lambda for each of its ~70 converters, 154 classes
     * and 0.5 MiB of a sidecar's resident memory for one fixed line
     * (bench/results/sidecar-footprint.md).
     */
    static final class TextLine extends LayoutBase<ILoggingEvent> {
        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

        @Override
        public String doLayout(ILoggingEvent e) {
            String level = e.getLevel().toString();
            String logger = e.getLoggerName();
            StringBuilder line = new StringBuilder(96).append(TIME.format(Instant.ofEpochMilli(e.getTimeStamp()))).append(' ')
                    .append(level).append(" ".repeat(Math.max(0, 5 - level.length()))).append(' ')
                    .append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ").append(e.getFormattedMessage())
                    .append(System.lineSeparator());
            IThrowableProxy thrown = e.getThrowableProxy();
            if (thrown != null) {
                line.append(ThrowableProxyUtil.asString(thrown)).append(System.lineSeparator());
            }
            return line.toString();
        }
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        String format = System.getenv().getOrDefault("CAIRN_LOG_FORMAT", "text");
        Encoder<ILoggingEvent> encoder;
        if (format.equals("json")) {
            JsonEncoder json = new JsonEncoder();
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithMDC(false);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithFormattedMessage(true);
            encoder = json;
        } else {
            TextLine layout = new TextLine();
            layout.setContext(context);
            layout.start();
            LayoutWrappingEncoder<ILoggingEvent> text = new LayoutWrappingEncoder<>();
            text.setLayout(layout);
            encoder = text;
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> err = new ConsoleAppender<>();
        err.setContext(context);
        err.setName(format);
        err.setTarget("System.err");
        err.setEncoder(encoder);
        err.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getenv().getOrDefault("CAIRN_LOG_LEVEL", "INFO"), Level.INFO));
        root.addAppender(err);
        context.getLogger("io.netty").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
