package dev.mcpplan.orchestrator;

import dev.mcpplan.orchestrator.spi.JsonValues;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a dry run found for one step: the action, who decided it, where it would go, with which
 * (redacted) arguments, and every problem in the way.
 *
 * @param step the step
 * @param action the detected action type; empty for an internal step
 * @param detector the id of the detector that decided; empty for an internal step
 * @param server the server the action routes to, when routed
 * @param tool the tool the action routes to, when routed
 * @param arguments the tool's arguments as they would be sent, secrets redacted
 * @param problems what keeps the step from running, and warnings about it
 */
public record StepCheck(
        Step step,
        Optional<String> action,
        Optional<String> detector,
        Optional<String> server,
        Optional<String> tool,
        Map<String, Object> arguments,
        List<Problem> problems) {
    public StepCheck {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(tool, "tool");
        arguments = JsonValues.copyOf(arguments);
        problems = List.copyOf(problems);
    }

    /** Whether no detector recognised the step: it is recorded as skipped and never run. */
    public boolean internal() {
        return action.isEmpty();
    }

    /** Whether the step could run: no error (warnings allowed). */
    public boolean ok() {
        return problems.stream().noneMatch(Problem::isError);
    }
}
