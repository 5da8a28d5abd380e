package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parallel mode against a real server over stdio: steps run as the graph of their {@code depends_on},
 * within the per-plan bound; a failure starts nothing new, waits for what runs, and leaves the rest not
 * run; the plan's word wins over the setting; sequential mode refuses what it cannot order.
 */
class ParallelStepsTest {
    @TempDir
    Path dir;

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    private McpPlanOrchestrator orchestrator;

    private McpPlanOrchestrator orchestrator(String settings) throws IOException {
        Path file = Files.writeString(dir.resolve("settings.json"), """
                { "orchestrator": { %s
                    "actions": { "echo": "fault", "slow_read": "fault", "fail": "fault" } } }
                """.formatted(settings));
        orchestrator = McpPlanOrchestrator.builder()
                .config(file)
                .server(Servers.faultServer("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .listener(new ExecutionListener() {
                    @Override
                    public void stepStarted(Plan plan, Step step, int attempt) {
                        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        events.add("start " + step.number());
                    }

                    @Override
                    public void stepFinished(Plan plan, Step step, StepResult result) {
                        if (result.attempts() > 0) {
                            inFlight.decrementAndGet();
                            events.add("end " + step.number());
                        }
                    }
                })
                .build();
        return orchestrator;
    }

    @AfterEach
    void close() {
        if (orchestrator != null) {
            orchestrator.close();
        }
    }

    private Plan plan(String name, String frontMatter, String steps) throws IOException {
        return orchestrator.parse(Servers.approvedPlanFile(dir, name, frontMatter, steps));
    }

    private static String slowSteps(int count, int ms) {
        StringBuilder steps = new StringBuilder();
        for (int n = 1; n <= count; n++) {
            steps.append("- [ ] Read slowly ")
                    .append(n)
                    .append("\n  - action: slow_read\n  - ms: ")
                    .append(ms)
                    .append('\n');
        }
        return steps.toString();
    }

    private int indexOf(String event) {
        assertThat(events).contains(event);
        return events.indexOf(event);
    }

    @Test
    void independentStepsRunSeveralAtOnceWithinThePlansBound() throws IOException {
        orchestrator("\"maxParallelSteps\": 3,");

        PlanResult result = orchestrator.execute(plan("bound", "execution: parallel", slowSteps(7, 400)));

        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps()).extracting(StepResult::status).containsOnly(StepStatus.SUCCEEDED);
        // 400 ms a step: the next ones start long before the first ends, also on a busy machine
        assertThat(mostInFlight.get()).as("steps in flight at once").isBetween(2, 3);
    }

    @Test
    void aStepStartsOnlyOnceTheStepsItDependsOnAreDoneEarlierOrLater() throws IOException {
        orchestrator("");

        PlanResult result = orchestrator.execute(plan("graph", "execution: parallel", """
                - [ ] Read the first
                  - action: slow_read
                  - ms: 300
                - [ ] Read the second
                  - action: slow_read
                  - ms: 200
                - [ ] Echo after both
                  - action: echo
                  - text: both
                  - depends_on: [1, 2]
                - [ ] Echo after a later one
                  - action: echo
                  - text: later
                  - depends_on: last
                - [ ] Read the last
                  - id: last
                  - action: slow_read
                  - ms: 200
                """));

        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(indexOf("start 3")).isGreaterThan(indexOf("end 1"));
        assertThat(indexOf("start 3")).isGreaterThan(indexOf("end 2"));
        assertThat(indexOf("start 4")).isGreaterThan(indexOf("end 5"));
        assertThat(mostInFlight.get()).as("steps 1, 2 and 5 start together").isGreaterThanOrEqualTo(2);
    }

    @Test
    void afterAFailureNothingNewStartsWhatRunsIsWaitedForAndTheRestIsNotRun() throws IOException {
        orchestrator("\"maxParallelSteps\": 2,");

        PlanResult result = orchestrator.execute(plan("failing", "execution: parallel", """
                - [ ] Fail at once
                  - action: fail
                - [ ] Read slowly meanwhile
                  - action: slow_read
                  - ms: 800
                - [ ] Echo after the failure
                  - action: echo
                  - text: never
                  - depends_on: 1
                - [ ] Echo when a slot is free
                  - action: echo
                  - text: never either
                """));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.FAILED, StepStatus.SUCCEEDED, StepStatus.NOT_RUN, StepStatus.NOT_RUN);
        assertThat(result.steps().get(3).message())
                .hasValueSatisfying(m -> assertThat(m).contains("step 1 did not succeed"));
        assertThat(events).doesNotContain("start 3", "start 4");
        assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).startsWith("step 1 (fail)"));
    }

    @Test
    void thePlansOwnWordWinsOverTheSetting() throws IOException {
        orchestrator("\"execution\": \"parallel\",");

        PlanResult parallel = orchestrator.execute(plan("by-setting", "", slowSteps(2, 400)));
        int parallelMost = mostInFlight.getAndSet(0);
        PlanResult sequential = orchestrator.execute(plan("by-plan", "execution: sequential", slowSteps(2, 400)));

        assertThat(parallel.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(sequential.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(parallelMost).as("the setting's parallel mode").isEqualTo(2);
        assertThat(mostInFlight.get()).as("the plan's sequential mode").isEqualTo(1);
    }

    @Test
    void inOrderALaterDependencyIsRefusedAndAWordThatIsNeitherModeToo() throws IOException {
        orchestrator("");

        PlanResult later = orchestrator.execute(plan("later", "", """
                - [ ] Echo first, after the second
                  - action: echo
                  - text: one
                  - depends_on: 2
                - [ ] Echo second
                  - action: echo
                  - text: two
                """));
        PlanResult unknown = orchestrator.execute(plan("unknown", "execution: all-at-once", slowSteps(1, 10)));

        assertThat(later.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(later.error())
                .hasValueSatisfying(e -> assertThat(e).contains("preflight failed, nothing was sent", "later step 2"));
        assertThat(unknown.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(unknown.error())
                .hasValueSatisfying(e -> assertThat(e).contains("execution must be \"parallel\" or \"sequential\""));
        assertThat(events).isEmpty();
    }

    @Test
    void aCycleIsRefusedAsThePlanIsRead() throws IOException {
        orchestrator("");

        assertThatThrownBy(() -> plan("cycle", "execution: parallel", """
                        - [ ] Echo one
                          - action: echo
                          - text: one
                          - depends_on: 3
                        - [ ] Echo two
                          - action: echo
                          - text: two
                          - depends_on: 1
                        - [ ] Echo three
                          - action: echo
                          - text: three
                          - depends_on: 2
                        """))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("cycle.md")
                .hasMessageContaining("cycle: step 1")
                .hasMessageContaining("step 3");
    }
}
