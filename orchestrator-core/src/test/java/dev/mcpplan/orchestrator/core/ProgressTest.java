package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long-running tool that reports progress is neither timed out nor sent again: against the
 * reference {@code server-everything}'s {@code trigger-long-running-operation}, with a time-out
 * shorter than the operation and longer than its progress interval. The progress reaches the
 * listeners; the longest call time still ends a call that goes on too long.
 */
class ProgressTest {
    @TempDir
    Path dir;

    private McpPlanOrchestrator orchestrator(String settings, ExecutionListener listener) throws IOException {
        Path config = dir.resolve("mcp.json");
        Files.writeString(config, """
                { "mcpServers": { "everything": { "command": "node", "args": ["%s", "stdio"] } },
                  "orchestrator": { %s, "retries": 1, "backoff": "200ms",
                    "actions": { "long": { "server": "everything", "tool": "trigger-long-running-operation" } } } }
                """.formatted(Servers.EVERYTHING, settings));
        return McpPlanOrchestrator.builder()
                .config(config)
                .listener(listener)
                .discoverPlugins(getClass().getClassLoader())
                .build();
    }

    private static Plan longOperation(int seconds, int steps) {
        return Plan.builder("long-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .steps(List.of(Step.builder(1, "Run the long operation")
                        .action("long")
                        .parameter("duration", Integer.toString(seconds))
                        .parameter("steps", Integer.toString(steps))
                        .build()))
                .build();
    }

    /** Hears progress and attempts. */
    private static final class Heard implements ExecutionListener {
        final List<String> reports = new CopyOnWriteArrayList<>();
        final List<Integer> attempts = new CopyOnWriteArrayList<>();

        @Override
        public void stepStarted(Plan plan, Step step, int attempt) {
            attempts.add(attempt);
        }

        @Override
        public void stepProgress(Plan plan, Step step, double progress, Double total, String message) {
            reports.add((int) progress + "/" + (total == null ? "?" : Integer.toString(total.intValue())));
        }
    }

    /** The step of a long operation of {@code seconds} in {@code steps}, run with {@code settings}. */
    private StepResult run(String settings, int seconds, int steps, Heard heard) throws IOException {
        try (McpPlanOrchestrator orchestrator = orchestrator(settings, heard)) {
            return orchestrator.execute(longOperation(seconds, steps)).steps().get(0);
        }
    }

    @Test
    void aCallLongerThanItsTimeOutThatReportsProgressSucceedsOnItsFirstAttempt() throws IOException {
        Heard heard = new Heard();
        StepResult step = run("\"timeout\": \"3s\"", 6, 6, heard);

        assertThat(step.status()).isEqualTo(StepStatus.SUCCEEDED);
        assertThat(step.content()).hasValueSatisfying(c -> assertThat(c).contains("Long running operation completed"));
        assertThat(step.duration()).as("longer than one time-out").isGreaterThan(java.time.Duration.ofSeconds(3));
        assertThat(step.attempts()).isEqualTo(1);
        assertThat(heard.attempts).containsExactly(1);
        // in order, from the first; the SDK's sync client hands progress to its consumers on another
        // thread (boundedElastic), so the last report may come after the answer, when no one listens
        assertThat(heard.reports)
                .startsWith("1/6", "2/6", "3/6", "4/6")
                .isSubsetOf("1/6", "2/6", "3/6", "4/6", "5/6", "6/6")
                .isSortedAccordingTo(String::compareTo);
    }

    @Test
    void theLongestCallTimeEndsACallThatReportsProgressForTooLong() throws IOException {
        Heard heard = new Heard();
        StepResult step = run("\"timeout\": \"3s\", \"maxCallTime\": \"4s\"", 30, 30, heard);

        assertThat(step.status()).isNotEqualTo(StepStatus.SUCCEEDED);
        assertThat(step.errorKind()).contains(ErrorKind.TIMEOUT);
        assertThat(step.message()).hasValueSatisfying(m -> assertThat(m).contains("maxCallTime"));
        assertThat(heard.reports).as("progress before the end").isNotEmpty();
    }
}
