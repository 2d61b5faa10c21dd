package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.net.TlsConfig;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cairn}: the command line for a Cairn cluster. Text output by default, {@code --json}
 * for scripts; one line on stderr and a non-zero exit on error.
 */
// scope INHERIT: every subcommand takes -h/--help (and -V) too; `cairn help CMD` is HelpCommand.
@Command(name = "cairn", mixinStandardHelpOptions = true, version = "cairn 0.1.0", scope = CommandLine.ScopeType.INHERIT,
        description = "Reads, writes and watches a Cairn store.",
        subcommands = {CommandLine.HelpCommand.class, GetCommand.class, SetCommand.class, DelCommand.class, LsCommand.class, WalkCommand.class,
                StatCommand.class, RevCommand.class, WatchCommand.class, WaitCommand.class, TxnCommand.class,
                MembersCommand.class, SessionsCommand.class, PresenceCommand.class, EndpointCommand.class,
                HistoryCommand.class, DiffCommand.class, RollbackCommand.class, CompletionCommand.class,
                WhoamiCommand.class, AclCommand.class, SnapshotCommand.class, SchemaCommand.class, RolloutCommand.class})
public final class CairnCli {
    /** Exit code of an error answer from the store or an unreachable store. */
    static final int EXIT_ERROR = 1;
    /** Exit code of bad usage. */
    static final int EXIT_USAGE = 2;
    /** Exit code of `wait --for` when nothing changed in time. */
    static final int EXIT_TIMEOUT = 3;

    @Option(names = "--endpoints", paramLabel = "HOST:PORT,...",
            description = "Members to talk to (default: $CAIRN_ENDPOINTS, else 127.0.0.1:8046).")
    String endpoints;

    @Option(names = "--json", description = "Print JSON instead of text (the same as -o json).")
    boolean json;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "text (default), json, yaml or table.")
    String output;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "DURATION",
            description = "Request timeout, like 500ms, 10s or 1m (default ${DEFAULT-VALUE}).")
    String timeout;

    // TLS, named as etcdctl names it; inherited, so they may follow the subcommand too.
    @Option(names = "--cacert", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Speak TLS and trust the members' CAs in this PEM bundle (default: $CAIRN_CACERT).")
    Path cacert;

    @Option(names = "--cert", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Client certificate (PEM) for members that require one, with --key (default: $CAIRN_CERT).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "PEM PKCS#8 key of --cert (default: $CAIRN_KEY).")
    Path key;

    @Option(names = "--token", paramLabel = "TOKEN", scope = CommandLine.ScopeType.INHERIT,
            description = "Authenticate with this bearer or service-account token (default: $CAIRN_TOKEN).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Authenticate with the token in this file, re-read when it rotates (default: $CAIRN_TOKEN_FILE).")
    Path tokenFile;

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    private CairnClient client;

    CairnCli(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int code = run(args, out, System.err, System.getenv());
        out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        CairnCli root = new CairnCli(out, err, env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof CairnException ce) {
                err.println("cairn: " + ce.code() + ": " + ce.getMessage());
                return EXIT_ERROR;
            }
            if (ex instanceof UsageException || ex instanceof IllegalArgumentException) {
                err.println("cairn: " + ex.getMessage());
                return EXIT_USAGE;
            }
            err.println("cairn: " + ex);
            return EXIT_ERROR;
        });
        try {
            return cl.execute(args);
        } finally {
            root.closeClient();
        }
    }

    CairnClient client() {
        if (client == null) {
            client = builder(endpointList()).build();
        }
        return client;
    }

    /** The members to talk to: --endpoints, else $CAIRN_ENDPOINTS, else 127.0.0.1:8046. */
    String endpointList() {
        return endpoints != null ? endpoints : env.getOrDefault("CAIRN_ENDPOINTS", "127.0.0.1:8046");
    }

    /** A client builder for {@code list} with this command's timeout and TLS. */
    CairnClient.Builder builder(String list) {
        CairnClient.Builder b;
        try {
            // One connection: a command makes a call or a few, often through a port-forward
            // from which the leader's in-cluster address does not resolve.
            b = CairnClient.builder().endpoints(list).requestTimeout(Durations.parse(timeout)).leaderWrites(false);
        } catch (IllegalArgumentException e) {
            throw new UsageException("bad endpoints \"" + list + "\": " + e.getMessage());
        }
        TlsConfig tls = tls();
        if (tls != null) {
            b.tls(tls);
        }
        String t = token != null ? token : env.get("CAIRN_TOKEN");
        Path tf = tokenFile != null ? tokenFile : envPath("CAIRN_TOKEN_FILE");
        if (t != null && !t.isBlank() && tf != null) {
            throw new UsageException("give a token or a token file, not both (--token, --token-file, $CAIRN_TOKEN, $CAIRN_TOKEN_FILE)");
        }
        if (tf != null) {
            if (!java.nio.file.Files.isReadable(tf)) {
                throw new UsageException("the token file " + tf + " cannot be read");
            }
            b.tokenFile(tf);
        } else if (t != null && !t.isBlank()) {
            String fixed = t.strip();
            b.token(() -> fixed);
        }
        return b;
    }

    /** TLS from the flags or the environment, or null for plain TCP. */
    private TlsConfig tls() {
        Path ca = cacert != null ? cacert : envPath("CAIRN_CACERT");
        Path c = cert != null ? cert : envPath("CAIRN_CERT");
        Path k = key != null ? key : envPath("CAIRN_KEY");
        if (ca == null && c == null && k == null) {
            return null;
        }
        try {
            return TlsConfig.files(c, k, ca);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (--cacert, --cert, --key)");
        }
    }

    private Path envPath(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    Duration timeout() {
        return Durations.parse(timeout);
    }

    private void closeClient() {
        if (client != null) {
            client.close();
        }
    }

    /** Bad usage found after parsing: one line, exit 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
