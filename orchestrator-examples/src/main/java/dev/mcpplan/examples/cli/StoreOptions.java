package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.core.internal.config.EnvironmentExpander;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of the commands that work a JDBC plan store: its URL, in which {@code ${VAR}} stands
 * for an environment variable (for a password, say), the user, and the lease time.
 */
final class StoreOptions {
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
        JdbcPlanStore.Builder store = JdbcPlanStore.builder(new EnvironmentExpander(environment).expand(url, "--store"))
                .lease(lease);
        String who = user != null ? user : environment.get("PGUSER");
        if (who != null) {
            store.user(who);
        }
        if (environment.get("PGPASSWORD") != null) {
            store.password(environment.get("PGPASSWORD"));
        }
        return store.build();
    }
}
