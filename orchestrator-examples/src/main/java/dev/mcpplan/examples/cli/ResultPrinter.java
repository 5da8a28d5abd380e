package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.StepResult;
import java.io.PrintWriter;
import java.util.function.UnaryOperator;

/**
 * Prints what became of a plan, one line per step, each line through the orchestrator's redactor: a step's
 * content is the tool's answer as it came, and may hold a secret.
 */
final class ResultPrinter {
    private static final int MAX_TEXT = 100;

    private ResultPrinter() {}

    static void print(PrintWriter out, PlanResult result, UnaryOperator<String> redactor) {
        out.println(redactor.apply(
                "Plan " + result.planId() + ": " + result.status().wireName()
                        + result.error().map(e -> "\n  error: " + e).orElse("")));
        for (StepResult step : result.steps()) {
            StringBuilder line = new StringBuilder("  step ")
                    .append(step.step())
                    .append(": ")
                    .append(step.status().name().toLowerCase(java.util.Locale.ROOT));
            step.action()
                    .ifPresent(a -> line.append("  ")
                            .append(a)
                            .append(" -> ")
                            .append(step.server().orElse("?"))
                            .append('/')
                            .append(step.tool().orElse("?"))
                            .append(" (")
                            .append(step.duration().toMillis())
                            .append(" ms)"));
            step.message()
                    .or(step::content)
                    .map(redactor) // before the cut, which could leave a token too short to be recognised
                    .map(ResultPrinter::oneLine)
                    .filter(t -> !t.isEmpty())
                    .ifPresent(t -> line.append("  ").append(t));
            out.println(redactor.apply(line.toString()));
        }
        result.warnings().forEach(w -> out.println(redactor.apply("  warning: " + w.code() + ": " + w.message())));
        out.flush();
    }

    private static String oneLine(String text) {
        String t = text.replaceAll("\\s+", " ").strip();
        return t.length() <= MAX_TEXT ? t : t.substring(0, MAX_TEXT - 1) + "…";
    }
}
