package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.ServerHealth;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load balancing against real servers over stdio: a server run as several instances (each its own
 * process, its own health), an action served by a list of servers, calls going to the least busy healthy
 * instance; a request that never left going to another, one that may have been sent never doing so.
 */
class LoadBalancingTest {
    @TempDir
    Path dir;

    private final List<AuditRecord> calls = new CopyOnWriteArrayList<>();

    @AutoClose
    private McpPlanOrchestrator orchestrator;

    /** An orchestrator whose fault servers carry this test's folder on their command line. */
    private McpPlanOrchestrator orchestrator(String settings) throws IOException {
        Path file = Files.writeString(dir.resolve("settings.json"), """
                { "orchestrator": { "backoff": "100ms", %s } }
                """.formatted(settings));
        String log = dir.resolve("sent.log").toString();
        orchestrator = McpPlanOrchestrator.builder()
                .config(file)
                .server(Servers.faultServer("fault", "--log", log))
                .server(Servers.faultServer("spare", "--log", log))
                .server(Servers.faultServer("broken", "--exit-on-start", "2"))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .auditSink(r -> {
                    if ("tool_call".equals(r.event())) {
                        calls.add(r);
                    }
                })
                .build();
        return orchestrator;
    }

    private Plan plan(String name, String frontMatter, String steps) throws IOException {
        return orchestrator.parse(Servers.approvedPlanFile(dir, name, frontMatter, steps));
    }

    private static String steps(int count, String action, String parameter) {
        StringBuilder steps = new StringBuilder();
        for (int n = 1; n <= count; n++) {
            steps.append("- [ ] Step ")
                    .append(n)
                    .append("\n  - action: ")
                    .append(action)
                    .append("\n  - ")
                    .append(parameter)
                    .append('\n');
        }
        return steps.toString();
    }

    /** The fault server processes this JVM runs for this test (their command line names its folder). */
    private long serverProcesses() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info()
                        .arguments()
                        .map(args -> Arrays.asList(args)
                                .contains(dir.resolve("sent.log").toString()))
                        .orElse(false))
                .count();
    }

    @Test
    void stepsRunAtOnceSpreadOverTheInstancesEachItsOwnProcessWithItsOwnHealth() throws IOException {
        orchestrator("""
                "servers": { "fault": { "instances": 3 } },
                "actions": { "slow_read": "fault" }, "maxParallelSteps": 6""");

        PlanResult result =
                orchestrator.execute(plan("spread", "execution: parallel", steps(6, "slow_read", "ms: 800")));

        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        // the six calls are chosen while the first ones still run (800 ms each, also on a busy machine)
        assertThat(result.steps())
                .extracting(s -> s.server().orElseThrow())
                .containsOnly("fault#1", "fault#2", "fault#3");
        assertThat(serverProcesses()).as("fault server processes").isEqualTo(3);
        assertThat(orchestrator.health())
                .filteredOn(h -> h.server().startsWith("fault"))
                .extracting(ServerHealth::server, ServerHealth::started)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("fault#1", true),
                        org.assertj.core.groups.Tuple.tuple("fault#2", true),
                        org.assertj.core.groups.Tuple.tuple("fault#3", true));
    }

    @Test
    void oneCallAfterAnotherTakesTheInstancesInTurn() throws IOException {
        orchestrator("""
                "servers": { "fault": { "instances": 3 } }, "actions": { "echo": "fault" }""");

        PlanResult result = orchestrator.execute(plan("turns", "", steps(4, "echo", "text: hi")));

        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps())
                .extracting(s -> s.server().orElseThrow())
                .containsExactly("fault#1", "fault#2", "fault#3", "fault#1");
    }

    @Test
    void anInstanceWhoseCircuitIsOpenIsPassedOverWhileAnotherIsHealthy() throws IOException {
        orchestrator("""
                "servers": { "fault": { "instances": 2 } }, "actions": { "echo": "fault", "boom": "fault" },
                "retries": 0, "circuitBreaker": { "failures": 1, "delay": "10m" }""");

        PlanResult failed = orchestrator.execute(plan("boom", "", steps(1, "boom", "text: x")));
        PlanResult after = orchestrator.execute(plan("after", "", steps(3, "echo", "text: hi")));

        assertThat(failed.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(failed.steps()).extracting(s -> s.server().orElseThrow()).containsExactly("fault#1");
        // one breaker for both instances would stop every call; this one passes over the instance that failed
        assertThat(after.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(after.steps())
                .extracting(s -> s.server().orElseThrow())
                .containsExactly("fault#2", "fault#2", "fault#2");
    }

    @Test
    void anActionServedByAListOfServersGoesOnWhenOneCannotStartAndSendsNothingTwice() throws IOException {
        orchestrator("""
                "retries": 0,
                "actions": { "record": { "server": ["broken", "fault"], "tool": "record" } }""");

        PlanResult first = orchestrator.execute(plan("first", "", steps(1, "record", "text: one")));
        PlanResult second = orchestrator.execute(plan("second", "", steps(2, "record", "text: two")));

        assertThat(first.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(second.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(first.steps()).extracting(s -> s.server().orElseThrow()).containsExactly("fault");
        // a server whose start failed is passed over while its failure is recent
        assertThat(second.steps()).extracting(s -> s.server().orElseThrow()).containsExactly("fault", "fault");
        // the broken server's failed start is not an attempt: nothing was sent to it
        assertThat(first.steps()).extracting(StepResult::attempts).containsExactly(1);
        assertThat(Files.readAllLines(dir.resolve("sent.log"))).hasSize(3);
    }

    @Test
    void aCallThatMayHaveReachedAnInstanceIsNeverSentToAnother() throws IOException {
        orchestrator("""
                "servers": { "fault": { "instances": 2 } },
                "actions": { "crash": "fault", "slow_read": { "server": ["fault", "spare"], "tool": "slow_read" } },
                "retries": 2, "timeout": "1s" """);

        // not idempotent, and the instance died mid-call: not sent again, to it or to another
        PlanResult crashed = orchestrator.execute(plan("crash", "", steps(1, "crash", "text: x")));
        // read-only, and timed out: sent again, but only to the instance that may have it already
        PlanResult timedOut = orchestrator.execute(plan("slow", "", steps(1, "slow_read", "ms: 3000")));

        assertThat(crashed.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(crashed.steps()).extracting(StepResult::status).containsExactly(StepStatus.OUTCOME_UNKNOWN);
        assertThat(calls.stream().filter(c -> "crash".equals(c.tool())).map(AuditRecord::server))
                .containsExactly("fault#1");
        Map<String, List<String>> slowCalls = calls.stream()
                .filter(c -> "slow_read".equals(c.tool()))
                .collect(Collectors.groupingBy(
                        AuditRecord::status, Collectors.mapping(AuditRecord::server, Collectors.toList())));
        assertThat(timedOut.steps().get(0).attempts()).isEqualTo(3);
        assertThat(slowCalls.values().stream().flatMap(List::stream).distinct())
                .as("every attempt of the timed-out read went to one instance: " + slowCalls)
                .hasSize(1);
    }
}
