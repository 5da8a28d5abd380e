package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.core.internal.engine.Engine;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the records say is what happened: every failed attempt, of every error kind, is recorded as
 * failed (or outcome unknown) in the audit records, the JSONL audit log and the SLF4J line; the audit
 * line carries the tool's answer, redacted and bounded; the plan's Execution Log a one-line short form;
 * and an answer "duplicate, not done again" is said to be one. Real fault server over stdio (a time-out of
 * 10 s: the server's start-up is bounded by it, and must hold on a loaded machine).
 */
class AuditTrailTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Reads the kind out of a {@code fail_echo} answer "could not send: kind X", for the kinds no tool gives. */
    private static final ErrorClassifier KIND_IN_TEXT = failure -> {
        String prefix = "could not send: kind ";
        return failure.errorResult() && failure.message().startsWith(prefix)
                ? Optional.of(Classification.of(
                        ErrorKind.valueOf(failure.message().substring(prefix.length())), failure.message()))
                : Optional.empty();
    };

    @TempDir
    Path dir;

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private McpPlanOrchestrator orchestrator;

    @BeforeEach
    void start() throws IOException {
        Path settings = dir.resolve("settings.json");
        Files.writeString(settings, """
                { "orchestrator": { "timeout": "10s", "retries": 1, "backoff": "50ms",
                    "actions": { "echo": "fault", "echo_structured": "fault", "fail": "fault", "fail_echo": "fault",
                      "auth_fail": "fault", "rate_limit": "fault", "boom": "fault", "slow": "fault",
                      "crash": "fault", "record": "fault" } } }
                """);
        orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer(
                        "fault", "--log", dir.resolve("record.log").toString()))
                .discoverPlugins(getClass().getClassLoader())
                .errorClassifier(KIND_IN_TEXT)
                .auditSink(audit::add)
                .auditLog(logs())
                .stateDirectory(dir.resolve("state"))
                .build();
    }

    @AfterEach
    void close() {
        orchestrator.close();
    }

    private Path logs() {
        return dir.resolve("vault/Logs");
    }

    private static Plan plan(String id, Step step) {
        return Plan.builder(id).status(PlanStatus.APPROVED).step(step).build();
    }

    private static Step step(String action, Object... parameters) {
        Step.Builder step = Step.builder(1, "Do " + action).action(action);
        for (int i = 0; i + 1 < parameters.length; i += 2) {
            step.parameter((String) parameters[i], parameters[i + 1]);
        }
        return step.build();
    }

    private List<AuditRecord> calls(String planId) {
        return audit.stream()
                .filter(r -> r.event().equals("tool_call") && r.planId().equals(planId))
                .toList();
    }

    private List<JsonNode> logLines(String planId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(logs())) {
            for (Path file : files.toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    JsonNode node = JSON.readTree(line);
                    if (node.path("event").asString().equals("tool_call")
                            && node.path("plan_id").asString().equals(planId)) {
                        lines.add(node);
                    }
                }
            }
        }
        return lines;
    }

    @Test
    void everyFailedAttemptOfEveryErrorKindIsRecordedAsWhatReallyHappened() throws IOException, InterruptedException {
        Map<ErrorKind, Step> faults = new LinkedHashMap<>();
        faults.put(ErrorKind.TOOL_ERROR, step("fail"));
        faults.put(ErrorKind.AUTHENTICATION, step("auth_fail"));
        faults.put(ErrorKind.RATE_LIMIT, step("rate_limit"));
        faults.put(ErrorKind.SERVER_ERROR, step("boom"));
        faults.put(ErrorKind.VALIDATION, step("fail_echo", "text", "kind VALIDATION"));
        faults.put(ErrorKind.APPROVAL, step("fail_echo", "text", "kind APPROVAL"));
        // before the time-out: the crash's message quotes the server's last stderr lines, and the text of a
        // time-out there would make the built-in classifier call the crash a time-out
        faults.put(ErrorKind.UNAVAILABLE, step("crash"));
        faults.put(ErrorKind.TIMEOUT, step("slow", "ms", 30_000));
        assertThat(faults.keySet()).isEqualTo(EnumSet.allOf(ErrorKind.class));
        // the request of a tool that is not idempotent may have reached the server: no one knows what it did
        Map<ErrorKind, String> outcome =
                Map.of(ErrorKind.TIMEOUT, "outcome_unknown", ErrorKind.UNAVAILABLE, "outcome_unknown");

        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (Map.Entry<ErrorKind, Step> fault : faults.entrySet()) {
                PlanResult result = orchestrator.execute(plan("kind-" + fault.getKey(), fault.getValue()));
                assertThat(result.completed()).as(result.toString()).isFalse();
                if (fault.getKey() == ErrorKind.UNAVAILABLE) {
                    Thread.sleep(500); // the restart wait after a crash, 25 ms in these settings, has passed
                }
            }
        } finally {
            System.setErr(stderr);
        }
        List<String> slf4j = captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains("[TOOL_CALL]"))
                .toList();

        for (ErrorKind kind : faults.keySet()) {
            String planId = "kind-" + kind;
            String expected = outcome.getOrDefault(kind, "failed");
            assertThat(calls(planId))
                    .as(kind + " audit records")
                    .isNotEmpty()
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo(expected))
                    .anySatisfy(r -> assertThat(r.errorKind()).isEqualTo(kind));
            assertThat(logLines(planId))
                    .as(kind + " audit log lines")
                    .isNotEmpty()
                    .allSatisfy(l -> assertThat(l.path("result").asString()).isEqualTo(expected))
                    .anySatisfy(l -> assertThat(l.path("error_kind").asString()).isEqualTo(kind.name()));
            assertThat(slf4j.stream().filter(l -> l.contains("plan=" + planId + " ")))
                    .as(kind + " SLF4J lines")
                    .isNotEmpty()
                    .allSatisfy(l ->
                            assertThat(l).contains(" status=" + expected + " ").doesNotContain("success"))
                    .anySatisfy(l -> assertThat(l).contains(" error=" + kind + " "));
        }
    }

    @Test
    void theAuditLineRecordsTheToolsAnswerRedactedAndBounded() throws IOException {
        String text = "reply to jane@example.com " + "x".repeat(3000);
        assertThat(orchestrator
                        .execute(plan("answer", step("echo_structured", "text", text)))
                        .completed())
                .isTrue();
        assertThat(orchestrator
                        .execute(plan("plain", step("echo", "text", "hello")))
                        .completed())
                .isTrue();
        orchestrator.execute(plan("failing", step("fail")));

        String response = calls("answer").get(0).response();
        assertThat(response)
                .startsWith("{")
                .contains("\"echo\":\"reply to j***@***.com xxx")
                .doesNotContain("jane@example.com")
                .doesNotContain("sk-live")
                .hasSizeLessThan(Engine.RESPONSE_LIMIT + 50)
                .endsWith("more characters)");
        assertThat(logLines("answer").get(0).path("response").asString()).isEqualTo(response);
        // the tool also answers an api_key: redacted by its key name
        String secret = orchestrator
                .execute(plan("secret", step("echo_structured", "text", "short")))
                .steps()
                .get(0)
                .structuredContent()
                .orElseThrow()
                .get("api_key")
                .toString();
        assertThat(calls("secret").get(0).response())
                .contains("\"api_key\":\"***\"")
                .doesNotContain(secret);
        assertThat(logLines("secret").get(0).toString()).doesNotContain(secret);
        assertThat(calls("plain").get(0).response()).isEqualTo("hello");
        assertThat(calls("failing")).allSatisfy(r -> assertThat(r.response()).isEqualTo("the tool failed on purpose"));
    }

    @Test
    void theExecutionLogShowsAShortOneLineFormOfTheAnswer() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Files.writeString(store.approvedDir().resolve("plan.md"), """
                ---
                plan_id: log-1
                ---
                # Echo a long answer
                ## Steps
                - [ ] Echo it
                  - action: echo
                  ```yaml
                  text: |
                    line one
                    line two
                    ## Not a heading
                    %s
                  ```
                """.formatted("y".repeat(300)));
        assertThat(orchestrator.processReady(store))
                .singleElement()
                .satisfies(r -> assertThat(r.completed()).isTrue());

        List<String> lines = Files.readAllLines(store.doneDir().resolve("plan.md"));
        assertThat(lines).filteredOn(l -> l.startsWith("## ")).containsExactly("## Steps", "## Execution Log");
        String step = lines.stream()
                .filter(l -> l.contains(" step 1 echo"))
                .findFirst()
                .orElseThrow();
        assertThat(step)
                .contains("succeeded")
                .contains("-> line one line two ## Not a heading yyy")
                .endsWith("more characters)")
                .hasSizeLessThan(Engine.SUMMARY_LIMIT + 150);
    }

    @Test
    void anAnswerThatTheRequestWasADuplicateIsRecordedAsOneEverywhere() throws IOException {
        // another orchestrator (another vault) ran a plan of this id before, against the same server
        Path log = dir.resolve("record.log");
        Files.writeString(log, "dup-1:step-1\tearlier\n");
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Files.writeString(store.approvedDir().resolve("plan.md"), """
                ---
                plan_id: dup-1
                ---
                # Record
                ## Steps
                - [ ] Record it
                  - action: record
                  - text: again
                """);
        PlanResult result = orchestrator.processReady(store).get(0);

        StepResult step = result.steps().get(0);
        assertThat(step.duplicate()).isTrue();
        assertThat(step.message())
                .hasValueSatisfying(
                        m -> assertThat(m).contains("duplicate request").contains("did not do it again"));
        assertThat(calls("dup-1"))
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo("duplicate"));
        assertThat(logLines("dup-1"))
                .singleElement()
                .satisfies(l -> assertThat(l.path("result").asString()).isEqualTo("duplicate"));
        assertThat(Files.readString(store.doneDir().resolve("plan.md")))
                .contains("succeeded")
                .contains("duplicate request: the server says it had done this request before")
                .contains("-> duplicate dup-1:step-1: already recorded");
        assertThat(Files.readAllLines(log)).containsExactly("dup-1:step-1\tearlier");
    }
}
