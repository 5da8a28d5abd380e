package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * The options of the commands that work a JDBC plan store: its URL, in which {@code ${VAR}} stands
 * for an environment variable (for a password, say), the user, and the lease time.
 */
final class StoreOptions {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    @Option(
            names = "--store",
            paramLabel = "URL",
            required = true,
            description = "the JDBC URL of the plan store, jdbc:postgresql://HOST/DB; ${VAR} is the value of the"
                    + " environment variable VAR (put passwords there, not on the command line)")
    String url;

    @Option(
            names = "--store-user",
            paramLabel = "USER",
            description = "the database user (default: the URL's, else the environment's PGUSER)")
    String user;

    @Option(
            names = "--lease",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "how long a claimed plan stays this instance's without a heartbeat, after which"
                    + " another instance takes it over (default 30s)")
    Duration lease;

    /** Opens the store; its password, when the URL has none, is the environment's PGPASSWORD. */
    JdbcPlanStore open(Map<String, String> environment) {
        JdbcPlanStore.Builder store =
                JdbcPlanStore.builder(expand(url, environment)).lease(lease);
        String who = user != null ? user : environment.get("PGUSER");
        if (who != null) {
            store.user(who);
        }
        if (environment.get("PGPASSWORD") != null) {
            store.password(environment.get("PGPASSWORD"));
        }
        return store.build();
    }

    private static String expand(String text, Map<String, String> environment) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = environment.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException(
                        "--store names ${" + m.group(1) + "}, which is not set in the environment");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return m.appendTail(out).toString();
    }
}
