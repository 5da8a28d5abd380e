package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Prints the progress a running tool reports, one line per report ({@code step 2: 3/6 copying}), for
 * a person watching a terminal. Thread-safe.
 */
final class ProgressPrinter implements ExecutionListener {
    private final PrintWriter out;

    ProgressPrinter(PrintWriter out) {
        this.out = out;
    }

    /** Adds a printer to stderr when a terminal is attached; a pipe or a log file gets none. */
    static void addWhenInteractive(McpPlanOrchestrator.Builder builder) {
        if (System.console() != null) {
            builder.listener(new ProgressPrinter(new PrintWriter(System.err, true)));
        }
    }

    @Override
    public void stepProgress(Plan plan, Step step, double progress, Double total, String message) {
        String amount = total == null ? number(progress) : number(progress) + "/" + number(total);
        synchronized (out) {
            out.println("  " + step.label() + ": " + amount + (message == null ? "" : " " + message));
            out.flush();
        }
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
