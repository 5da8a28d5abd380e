package dev.mcpplan.orchestrator.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.PlanFormat;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.PlanTakenOverException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDBC plan store on a real PostgreSQL, with real MCP servers over stdio: submitting, running, the
 * queue's order, takeover after a lease runs out, and the fence that refuses a late instance's writes.
 */
class JdbcPlanStoreTest {
    @TempDir
    Path dir;

    private String url;
    private McpPlanOrchestrator orchestrator;
    private final List<JdbcPlanStore> stores = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        url = Database.fresh();
        Path settings = Servers.config(
                dir.resolve("mcp.json"),
                Map.of("fault", Servers.faultServerEntry(Map.of(), "--log", sent().toString())),
                Map.of(
                        "actions",
                        Map.of("record", "fault", "send", "fault", "slow", "fault", "echo", "fault"),
                        "backoff",
                        "100ms"));
        orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .build();
    }

    @AfterEach
    void tearDown() {
        stores.forEach(JdbcPlanStore::close);
        orchestrator.close();
    }

    private Path sent() {
        return dir.resolve("sent.log");
    }

    private JdbcPlanStore store(String instance, Duration lease) {
        JdbcPlanStore store = JdbcPlanStore.builder(url)
                .user("postgres")
                .instance(instance)
                .lease(lease)
                .build();
        stores.add(store);
        return store;
    }

    private static String plan(String id, String frontMatter, String action, int steps) {
        StringBuilder text = new StringBuilder(
                "---\nplan_id: " + id + "\nstatus: approved\n" + frontMatter + "---\n# " + id + "\n\n## Steps\n");
        for (int n = 1; n <= steps; n++) {
            text.append("- [ ] Step ")
                    .append(n)
                    .append("\n  - action: ")
                    .append(action)
                    .append("\n  - text: ")
                    .append(id)
                    .append("-")
                    .append(n)
                    .append('\n');
        }
        return text.toString();
    }

    private List<String> sentLines() throws IOException {
        return Files.exists(sent()) ? Files.readAllLines(sent()) : List.of();
    }

    private void expireLease(String key) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            s.executeUpdate(
                    "UPDATE mcp_plan SET lease_until = now() - interval '1 second' WHERE plan_key = '" + key + "'");
        }
    }

    @Test
    void aSubmittedPlanRunsOnceAndItsRecordStaysInTheStore() throws IOException {
        JdbcPlanStore store = store("one", Duration.ofSeconds(30));
        assertThat(store.submit("first.md", plan("first", "", "record", 3))).isEqualTo("first");

        List<PlanResult> results = orchestrator.processReady(store);

        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo(PlanStatus.COMPLETED));
        assertThat(sentLines())
                .containsExactly("first:step-1\tfirst-1", "first:step-2\tfirst-2", "first:step-3\tfirst-3");
        assertThat(store.list()).singleElement().satisfies(e -> {
            assertThat(e.key()).isEqualTo("first");
            assertThat(e.status()).isEqualTo("completed");
            assertThat(e.owner()).isEmpty();
        });
        JdbcPlanStore.Details details = store.show("first").orElseThrow();
        assertThat(details.steps())
                .containsExactly(Map.entry(1, "succeeded"), Map.entry(2, "succeeded"), Map.entry(3, "succeeded"));
        assertThat(details.executionLog()).hasSize(3).allMatch(l -> l.contains("succeeded"));
        assertThat(orchestrator.processReady(store))
                .as("nothing is left to run")
                .isEmpty();
        assertThat(sentLines()).hasSize(3);
    }

    @Test
    void whatCannotRunIsRefusedAtTheDoorNamingThePlan() {
        JdbcPlanStore store = store("one", Duration.ofSeconds(30));
        assertThatThrownBy(() ->
                        store.submit("draft.md", plan("draft", "", "record", 1).replace("approved", "draft")))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("draft.md")
                .hasMessageContaining("not approved");
        assertThatThrownBy(() -> store.submit("odd.md", plan("odd", "priority: soonish\n", "record", 1)))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("soonish");
        store.submit("once.md", plan("once", "", "record", 1));
        assertThatThrownBy(() -> store.submit("again.md", plan("once", "", "record", 1)))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("already in the store");
        assertThat(store.list()).extracting(JdbcPlanStore.Entry::key).containsExactly("once");
    }

    @Test
    void theQueueRunsTheMostUrgentFirst() {
        JdbcPlanStore store = store("one", Duration.ofSeconds(30));
        store.submit("a.md", plan("low-one", "priority: low\n", "record", 1));
        store.submit("b.md", plan("medium-one", "", "record", 1));
        store.submit("c.md", plan("urgent-one", "priority: urgent\n", "record", 1));
        store.submit("d.md", plan("numbered", "priority: 1\n", "record", 1));

        assertThat(store.ready()).containsExactly("urgent-one", "numbered", "medium-one", "low-one");
    }

    /**
     * An instance that claims plan {@code p} of {@code steps} {@code record} steps, begins its run, starts
     * its first step, records it as {@code finished} (when not null), and dies: its lease then runs out.
     */
    private void dieAfterTheFirstStep(int steps, StepStatus finished) {
        JdbcPlanStore dead = store("dead", Duration.ofMillis(600));
        dead.submit("p.md", plan("p", "", "record", steps));
        Plan plan = dead.claim("p").orElseThrow();
        dead.ledger().orElseThrow().begin(plan, ApprovalLedger.Start.CLAIMED);
        dead.stepStarted(plan, plan.steps().get(0), false);
        if (finished != null) {
            dead.stepFinished(
                    plan, plan.steps().get(0), StepResult.builder(1, finished).build());
        }
        dead.close(); // its heartbeat stops
    }

    @Test
    void aPlanWhoseInstanceDiedAfterAStepIsTakenOverWithoutRepeatingIt() throws IOException {
        Files.writeString(sent(), "p:step-1\tp-1\n"); // what the dead instance's call did
        dieAfterTheFirstStep(3, StepStatus.SUCCEEDED);

        JdbcPlanStore alive = store("alive", Duration.ofSeconds(30));
        assertThat(alive.ready()).isEmpty();
        List<PlanResult> results = waitForTakeover(alive);

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(PlanStatus.COMPLETED);
            assertThat(r.steps())
                    .extracting(StepResult::status)
                    .containsExactly(StepStatus.ALREADY_DONE, StepStatus.SUCCEEDED, StepStatus.SUCCEEDED);
        });
        assertThat(sentLines()).containsExactly("p:step-1\tp-1", "p:step-2\tp-2", "p:step-3\tp-3");
        assertThat(alive.list())
                .singleElement()
                .satisfies(e -> assertThat(e.runs()).isEqualTo(2));
    }

    @Test
    void aStepCutShortByTheDeathOfItsInstanceIsNotRepeatedAndThePlanNeedsReview() throws IOException {
        dieAfterTheFirstStep(2, null);

        JdbcPlanStore alive = store("alive", Duration.ofSeconds(30));
        List<PlanResult> results = waitForTakeover(alive);

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
            assertThat(r.steps().get(0).status()).isEqualTo(StepStatus.OUTCOME_UNKNOWN);
        });
        assertThat(sentLines()).as("nothing sent again").isEmpty();
        assertThat(alive.list())
                .singleElement()
                .satisfies(e -> assertThat(e.status()).isEqualTo("needs_review"));
    }

    @Test
    void aStepWhoseOutcomeWasUnknownIsNotRepeatedByTheInstanceThatTakesOver() throws IOException {
        dieAfterTheFirstStep(2, StepStatus.OUTCOME_UNKNOWN); // before it could end the plan as needing review

        List<PlanResult> results = waitForTakeover(store("alive", Duration.ofSeconds(30)));

        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo(PlanStatus.NEEDS_REVIEW));
        assertThat(sentLines()).isEmpty();
    }

    /** The plans another instance takes over once their lease has run out (within a few seconds). */
    private List<PlanResult> waitForTakeover(JdbcPlanStore store) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (store.interrupted().isEmpty()) {
            assertThat(System.nanoTime()).as("the lease ran out within 20 s").isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return orchestrator.processReady(store);
    }

    @Test
    void anInstanceThatWakesUpLateCannotWriteOverTheNewOwner() throws Exception {
        JdbcPlanStore late = store("late", Duration.ofSeconds(30));
        late.submit("p.md", plan("p", "", "slow", 1).replace("  - text: p-1", "  - text: p-1\n  - ms: 2000"));
        CompletableFuture<List<PlanResult>> lateRun =
                CompletableFuture.supplyAsync(() -> orchestrator.processReady(late));
        JdbcPlanStore next = store("next", Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (next.show("p").orElseThrow().steps().isEmpty()) { // until the late instance's step has started
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
        expireLease("p"); // as if the late instance had been paused past its lease

        List<PlanResult> taken = orchestrator.processReady(next);

        assertThat(taken).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(PlanStatus.NEEDS_REVIEW));
        assertThat(lateRun.get()).as("the late instance gave the plan up").isEmpty();
        JdbcPlanStore.Details details = next.show("p").orElseThrow();
        assertThat(details.entry().status()).isEqualTo("needs_review");
        assertThat(details.entry().outcome())
                .hasValueSatisfying(o -> assertThat(o).contains("needs_review"));
        assertThat(details.steps()).containsExactly(Map.entry(1, "outcome_unknown"));
        Plan again = PlanFormat.parse("p", plan("p", "", "slow", 1));
        assertThatThrownBy(() -> late.stepStarted(again, again.steps().get(0), false))
                .isInstanceOf(PlanTakenOverException.class);
    }

    @Test
    void theAuditChainIsOneTableAndFindsALineChangedBehindItsBack() throws Exception {
        JdbcPlanStore store = store("one", Duration.ofSeconds(30));
        byte[] key = "a signing key of the audit chain".getBytes(StandardCharsets.UTF_8);
        JdbcAuditSink audit = new JdbcAuditSink(store, key);
        try (McpPlanOrchestrator audited = McpPlanOrchestrator.builder()
                .config(dir.resolve("mcp.json"))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .auditSink(audit)
                .build()) {
            store.submit("a.md", plan("a", "", "record", 2));
            store.submit("b.md", plan("b", "", "record", 1));
            assertThat(audited.processReady(store)).hasSize(2).allMatch(PlanResult::completed);
        }

        assertThat(audit.verify()).satisfies(v -> {
            assertThat(v.intact()).as(v.problem().orElse("")).isTrue();
            assertThat(v.lines()).isEqualTo(7); // per plan: plan_started, a tool_call per step, plan_finished
        });
        assertThat(new JdbcAuditSink(store, null).verify().problem())
                .hasValueSatisfying(p -> assertThat(p).contains("line 1", "needs the signing key"));
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM mcp_audit WHERE seq = 3"))
                    .hasMessageContaining("append-only");
            s.execute("ALTER TABLE mcp_audit DISABLE TRIGGER mcp_audit_append_only");
            s.executeUpdate("UPDATE mcp_audit SET line = replace(line, 'success', 'failed') WHERE seq = 3");
        }
        assertThat(audit.verify().problem())
                .hasValueSatisfying(p -> assertThat(p).startsWith("line 3: hash does not match"));
    }

    @Test
    void credentialsNeverAppearInTheStoresName() {
        assertThat(JdbcPlanStore.withoutCredentials(
                        "jdbc:postgresql://bob:s3cret@db:5432/plans?password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://***@db:5432/plans?password=***&ssl=true")
                .doesNotContain("s3cret");
        JdbcPlanStore store = store("one", Duration.ofSeconds(30));
        assertThat(store.id()).doesNotContain("user=postgres");
    }
}
