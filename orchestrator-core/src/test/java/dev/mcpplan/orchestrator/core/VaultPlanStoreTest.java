package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vault lifecycle on a real folder, with a real server over stdio. */
class VaultPlanStoreTest {
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
        Files.writeString(settings, "{ \"orchestrator\": { \"actions\": { \"record\": \"fault\" } } }");

        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().config(settings)
                .server(Servers.faultServer("fault", "--log", vault.resolve("record.log").toString()))
                .discoverPlugins(getClass().getClassLoader()).auditLog(store.logsDir()).build()) {
            results = orchestrator.processReady(store);
        }

        assertThat(results).extracting(PlanResult::status).containsExactlyInAnyOrder(PlanStatus.COMPLETED,
                PlanStatus.FAILED);
        Path done = store.doneDir().resolve("plan.md");
        String text = Files.readString(done);
        assertThat(text).contains("# a comment the orchestrator must keep").contains("status: completed")
                .contains("- [x] Record the first").contains("- [ ] Think about it").contains("- [x] Record the second")
                .contains("## Execution Log").contains("step 1 record -> fault/record: succeeded")
                .contains("step 2 (internal): skipped");
        assertThat(store.approvedDir()).isEmptyDirectory();
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(Files.readAllBytes(store.failedDir().resolve("broken.md"))).isEqualTo(broken);
        assertThat(Files.readString(store.failedDir().resolve("broken.md.error.txt"))).contains("broken YAML");
        assertThat(Files.readString(vault.resolve("Dashboard.md"))).contains("## Recent Activity")
                .contains("20260216-141530-Plan: completed -> Done/plan.md");
        try (var logs = Files.list(store.logsDir())) {
            Path log = logs.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
            assertThat(Files.readAllLines(log)).anyMatch(l -> l.contains("\"event\":\"tool_call\"")
                    && l.contains("\"approved_by\":\"u***@***.com\""));
        }
    }

    @Test
    void aNameClashInDoneKeepsBothFiles() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Files.writeString(store.doneDir().resolve("plan.md"), "earlier");
        Files.writeString(store.approvedDir().resolve("plan.md"), PLAN.replace("action: record", "action: nothing")
                .replace("approved_actions: [record]", ""));
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            orchestrator.processReady(store);
        }
        assertThat(Files.readString(store.doneDir().resolve("plan.md"))).isEqualTo("earlier");
        assertThat(store.failedDir().resolve("plan.md")).exists();
    }
}
