package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code show KEY --store URL}: a plan of a JDBC plan store, its steps and its Execution Log. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "Prints a plan of a JDBC plan store: its status, each step's last state, its Execution Log.")
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KEY", description = "the plan's key (its plan id)")
    String key;

    @Mixin
    StoreOptions store;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (JdbcPlanStore plans = store.open(System.getenv())) {
            Optional<JdbcPlanStore.Details> found = plans.show(key);
            if (found.isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("error: no plan " + key + " in the store " + plans.id());
                err.flush();
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
        }
        out.flush();
        return 0;
    }
}
