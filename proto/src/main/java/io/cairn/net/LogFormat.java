package io.cairn.net;

import java.util.Map;

/**
 * The log format a program was asked for ($CAIRN_LOG_FORMAT, read by the shared logback.xml):
 * checked first thing, so a typo is one clear line and exit 2, not a logger that prints nothing.
 */
public final class LogFormat {
    private LogFormat() {}

    /** Null when {@code env}'s CAIRN_LOG_FORMAT is unset, text or json; else the error line. */
    public static String problem(String program, Map<String, String> env) {
        String f = env.get("CAIRN_LOG_FORMAT");
        if (f == null || f.isEmpty() || f.equals("text") || f.equals("json")) {
            return null;
        }
        return program + ": CAIRN_LOG_FORMAT must be text or json, got \"" + f + "\"";
    }

    /** Exits 2 with the error line when CAIRN_LOG_FORMAT is not one this program knows. */
    public static void checkOrExit(String program) {
        String problem = problem(program, System.getenv());
        if (problem != null) {
            System.err.println(problem);
            System.exit(2);
        }
    }
}
