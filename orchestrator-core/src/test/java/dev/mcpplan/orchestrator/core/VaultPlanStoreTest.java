package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.core.testing.ClaimWorker;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The vault lifecycle on a real folder, with a real server over stdio. */
class VaultPlanStoreTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path vault;

    private static final String PLAN = """
            ---
            type: plan
            plan_id: 20260216-141530-Plan
            # a comment the orchestrator must keep
            status: pending
            approved_by: user@company.com
            approved_actions: [record]
            ---
            # Record two things

            ## Steps
            - [ ] Record the first
              - action: record
              - text: first
            - [ ] Think about it
            - [ ] Record the second
              - action: record
              - text: second
            """;

    @Test
    void anApprovedPlanIsClaimedRunRecordedAndMovedToDone() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Files.writeString(store.approvedDir().resolve("plan.md"), PLAN);
        Files.writeString(store.approvedDir().resolve("broken.md"), "---\nstatus: [unclosed\n---\n# x\n");
        byte[] broken = Files.readAllBytes(store.approvedDir().resolve("broken.md"));
        Path settings = vault.resolve("settings.json");
        // one plan at a time, so that the audit log's lines come in one order
        Files.writeString(
                settings,
                "{ \"orchestrator\": { \"maxConcurrentPlans\": 1, \"actions\": { \"record\": \"fault\" } } }");

        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer(
                        "fault", "--log", vault.resolve("record.log").toString()))
                .discoverPlugins(getClass().getClassLoader())
                .auditLog(store.logsDir())
                .build()) {
            results = orchestrator.processReady(store);
        }

        assertThat(results)
                .extracting(PlanResult::status)
                .containsExactlyInAnyOrder(PlanStatus.COMPLETED, PlanStatus.FAILED);
        Path done = store.doneDir().resolve("plan.md");
        String text = Files.readString(done);
        assertThat(text)
                .contains("# a comment the orchestrator must keep")
                .contains("status: completed")
                .contains("- [x] Record the first")
                .contains("- [ ] Think about it")
                .contains("- [x] Record the second")
                .contains("## Execution Log")
                .contains("step 1 record -> fault/record: succeeded")
                .contains("step 2 (internal): skipped");
        assertThat(store.approvedDir()).isEmptyDirectory();
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(Files.readAllBytes(store.failedDir().resolve("broken.md"))).isEqualTo(broken);
        assertThat(Files.readString(store.failedDir().resolve("broken.md.error.txt")))
                .contains("broken YAML");
        assertThat(Files.readString(vault.resolve("Dashboard.md")))
                .contains("## Recent Activity")
                .contains("20260216-141530-Plan: completed -> Done/plan.md");
        try (var logs = Files.list(store.logsDir())) {
            Path log = logs.filter(p -> p.toString().endsWith(".jsonl"))
                    .findFirst()
                    .orElseThrow();
            List<JsonNode> lines =
                    Files.readAllLines(log).stream().map(JSON::readTree).toList();
            assertThat(lines)
                    .extracting(l -> l.path("event").asString())
                    .containsExactly(
                            "plan_rejected", "plan_started", "tool_call", "tool_call", "tool_call", "plan_finished");
            JsonNode call = lines.get(2);
            assertThat(call.propertyNames())
                    .containsAll(List.of(
                            "timestamp",
                            "action_type",
                            "actor",
                            "target",
                            "parameters",
                            "approval_status",
                            "approved_by",
                            "result",
                            "plan_id",
                            "task_id",
                            "step",
                            "server",
                            "tool",
                            "error_kind",
                            "message",
                            "duration_ms",
                            "attempt"));
            assertThat(call.path("action_type").asString()).isEqualTo("record");
            assertThat(call.path("target").asString()).isEqualTo("fault/record");
            assertThat(call.path("parameters").path("text").asString()).isEqualTo("first");
            assertThat(call.path("approved_by").asString()).isEqualTo("u***@***.com");
            assertThat(call.path("result").asString()).isEqualTo("success");
            assertThat(call.path("plan_id").asString()).isEqualTo("20260216-141530-Plan");
            assertThat(call.path("step").asInt()).isEqualTo(1);
            assertThat(call.path("attempt").asInt()).isEqualTo(1);
            assertThat(call.path("duration_ms").asLong()).isNotNegative();
            assertThat(lines.get(5).path("result").asString()).isEqualTo("completed");
        }
    }

    @Test
    void aNameClashInDoneKeepsBothFiles() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Files.writeString(store.doneDir().resolve("plan.md"), "earlier");
        Files.writeString(
                store.approvedDir().resolve("plan.md"),
                PLAN.replace("action: record", "action: nothing").replace("approved_actions: [record]", ""));
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            orchestrator.processReady(store);
        }
        assertThat(Files.readString(store.doneDir().resolve("plan.md"))).isEqualTo("earlier");
        assertThat(store.failedDir().resolve("plan.md")).exists();
    }

    @Test
    void twoOrchestratorProcessesOnOneVaultRunEachOfFiftyPlansExactlyOnce() throws Exception {
        VaultPlanStore store = VaultPlanStore.open(vault);
        for (int i = 1; i <= 50; i++) {
            Files.writeString(
                    store.approvedDir().resolve("plan-" + i + ".md"),
                    PLAN.replace("20260216-141530-Plan", "plan-" + i)
                            .replace("text: first", "text: plan-" + i)
                            .replace("- text: second", "- text: plan-" + i + "-again"));
        }
        Path settings = vault.resolve("settings.json");
        Files.writeString(settings, "{ \"orchestrator\": { \"actions\": { \"record\": \"fault\" } } }");
        Path log = vault.resolve("record.log");

        List<Process> workers = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            workers.add(ClaimWorker.command(vault, settings, log, name)
                    .redirectError(vault.resolve("worker-" + name + ".err").toFile())
                    .start());
        }
        List<Integer> ran = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            Process worker = workers.get(w);
            String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(worker.waitFor(120, TimeUnit.SECONDS)).isTrue();
            Path err = vault.resolve("worker-" + List.of("a", "b").get(w) + ".err");
            assertThat(worker.exitValue()).as(() -> out + readQuietly(err)).isZero();
            ran.add(Integer.parseInt(out.strip().replaceAll("(?s).*RAN (\\d+)$", "$1")));
        }

        String stderr = "the workers' stderr:\n" + readQuietly(vault.resolve("worker-a.err"))
                + readQuietly(vault.resolve("worker-b.err"));
        assertThat(ran)
                .as("plans run by each process")
                .allSatisfy(n -> assertThat(n).isPositive());
        assertThat(ran.get(0) + ran.get(1)).as(stderr).isEqualTo(50);
        List<String> recorded = Files.readAllLines(log);
        assertThat(recorded).as(stderr).hasSize(100).doesNotHaveDuplicates();
        assertThat(recorded.stream().map(l -> l.substring(l.indexOf('\t') + 1)).distinct())
                .hasSize(100);
        try (Stream<Path> done = Files.list(store.doneDir())) {
            assertThat(done.count()).as(stderr).isEqualTo(50);
        }
        assertThat(store.approvedDir()).isEmptyDirectory();
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(Files.readString(vault.resolve("Dashboard.md")).lines().filter(l -> l.startsWith("- ")))
                .as(stderr)
                .hasSize(50);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    @Test
    void awaitChangeWakesWhenAPlanArrivesAndOtherwiseWaitsItsTimeout() throws Exception {
        try (VaultPlanStore store = VaultPlanStore.open(vault)) {
            long start = System.nanoTime();
            store.awaitChange(Duration.ofMillis(300));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));

            Thread writer = new Thread(() -> {
                try {
                    Thread.sleep(300);
                    Files.writeString(store.approvedDir().resolve("late.md"), PLAN);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            start = System.nanoTime();
            writer.start();
            store.awaitChange(Duration.ofSeconds(30));
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            writer.join();

            assertThat(waited).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
            assertThat(store.ready()).hasSize(1);
        }
    }

    @Test
    void secretsAnErrorRepeatsReachNeitherThePlanFileNorTheAuditLog() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        String secrets = "password=hunter2-secret token=sk-live-abcdefgh12345678 card 4111 1111 1111 1111"
                + " phone +49 170 1234567 mail alice.smith@example.com";
        Files.writeString(store.approvedDir().resolve("leaky.md"), """
                ---
                plan_id: leaky
                ---
                # An error that repeats what it was given
                ## Steps
                - [ ] Send it
                  - action: fail_echo
                  - text: %s
                """.formatted(secrets));
        Path settings = vault.resolve("settings.json");
        Files.writeString(settings, "{ \"orchestrator\": { \"actions\": { \"fail_echo\": \"fault\" } } }");
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .auditLog(store.logsDir())
                .build()) {
            assertThat(orchestrator.processReady(store))
                    .singleElement()
                    .satisfies(r -> assertThat(r.error())
                            .hasValueSatisfying(e -> assertThat(e).contains("could not send")));
        }

        List<String> outputs = new ArrayList<>();
        outputs.add(Files.readString(store.failedDir().resolve("leaky.md")).replace(secrets, "(the step as written)"));
        try (Stream<Path> logs = Files.list(store.logsDir())) {
            for (Path log : logs.toList()) {
                outputs.add(Files.readString(log));
            }
        }
        outputs.add(Files.readString(vault.resolve("Dashboard.md")));
        assertThat(String.join("\n", outputs))
                .contains("could not send")
                .doesNotContain(
                        "hunter2-secret",
                        "sk-live-abcdefgh12345678",
                        "4111 1111 1111 1111",
                        "170 1234567",
                        "alice.smith@example.com");
    }
}
