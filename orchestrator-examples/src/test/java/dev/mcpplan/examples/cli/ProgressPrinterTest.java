package dev.mcpplan.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
    @Test
    void eachReportIsOneLineWithTheStepTheAmountAndTheMessage() {
        StringWriter text = new StringWriter();
        ProgressPrinter printer = new ProgressPrinter(new PrintWriter(text));
        Step step = Step.builder(1, "Copy the files").build();
        Plan plan = Plan.builder("p").steps(List.of(step)).build();

        printer.stepProgress(plan, step, 3, 6.0, "copying");
        printer.stepProgress(plan, step, 0.5, null, null);

        assertThat(text.toString().lines().toList())
                .containsExactly("  " + step.label() + ": 3/6 copying", "  " + step.label() + ": 0.5");
    }
}
