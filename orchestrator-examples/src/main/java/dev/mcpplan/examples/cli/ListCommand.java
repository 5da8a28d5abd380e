package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code list --store URL}: one line per plan of a JDBC plan store, its key and status. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Prints one line per plan of a JDBC plan store: key, status (queued, retry_scheduled,"
                + " running, completed, failed, needs_review), runs, and the instance running it or the outcome.")
final class ListCommand extends StoreCommand {
    @Override
    int on(JdbcPlanStore plans, PrintWriter out, PrintWriter err) {
        for (JdbcPlanStore.Entry e : plans.list()) {
            out.printf(
                    "%-40s %-16s runs=%d %s%n",
                    e.key(),
                    e.status(),
                    e.runs(),
                    e.owner().map(o -> "on " + o).orElse(e.outcome().orElse("")));
        }
        return 0;
    }
}
