package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command on a JDBC plan store: it opens the store, works on it, closes it, and flushes what it printed. */
abstract class StoreCommand implements Callable<Integer> {
    @Mixin
    StoreOptions store;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (JdbcPlanStore plans = store.open(System.getenv())) {
            return on(plans, out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The command's work on the open store; its exit code. */
    abstract int on(JdbcPlanStore plans, PrintWriter out, PrintWriter err);
}
