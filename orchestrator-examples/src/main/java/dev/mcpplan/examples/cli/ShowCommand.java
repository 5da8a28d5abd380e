package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code show KEY --store URL}: a plan of a JDBC plan store, its steps and its Execution Log. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "Prints a plan of a JDBC plan store: its status, each step's last state, its Execution Log.")
final class ShowCommand extends StoreCommand {
    @Parameters(paramLabel = "KEY", description = "the plan's key (its plan id)")
    String key;

    @Override
    int on(JdbcPlanStore plans, PrintWriter out, PrintWriter err) {
        Optional<JdbcPlanStore.Details> found = plans.show(key);
        if (found.isEmpty()) {
            err.println("error: no plan " + key + " in the store " + plans.id());
            return 2;
        }
        JdbcPlanStore.Details d = found.get();
        out.println("plan " + d.entry().key() + ": " + d.entry().status() + ", runs "
                + d.entry().runs()
                + d.entry().owner().map(o -> ", running on " + o).orElse("")
                + d.entry().outcome().map(o -> " (" + o + ")").orElse(""));
        out.println("steps:");
        d.steps().forEach((step, state) -> out.println("  " + step + ": " + state));
        out.println("Execution Log:");
        d.executionLog().forEach(line -> out.println("  - " + line));
        return 0;
    }
}
