package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.ApprovalSeal;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an approval covers: a plan sealed with {@link PlanApprover}, then edited in one field that
 * changes what the approval allows, is refused; without a key by its hash, with a key by its signature
 * even when the editor made the hash fit again. Also the format and time rules an approval is read by.
 */
class ApprovalCoverageTest {
    private static final String KEY = "coverage-test-signing-key-0123456789abcdef";
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Instant APPROVED = NOW.minusSeconds(60);

    private static final String PLAN = """
            ---
            type: plan
            plan_id: cover-1
            task_id: task-1
            status: approved
            risk_level: high
            approved_actions: [record]
            ---
            # Record things

            ## Steps
            - [ ] Record the first
              - id: first
              - action: record
              - text: one
            - [ ] Record the second
              - id: second
              - action: record
              - depends_on: first
              - text: two
            """;

    /** An approval request whose one step reads the same when the file is read as a plan. */
    private static final String REQUEST = """
            ---
            type: approval_request
            plan_id: request-1
            status: approved
            action: record
            text: hello
            body: hi
            ---
            # Record

            ## Steps
            - [ ] Record
              - action: record
              - text: hello
              - body: hi
            """;

    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path file = dir.resolve("plan.md");
        Files.writeString(file, text);
        return file;
    }

    private Path sealed(String text, String key, Instant at) throws IOException {
        Path file = file(text);
        PlanApprover.approve(
                file,
                "boss@company.com",
                Duration.ofHours(1),
                null,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                Clock.fixed(at, ZoneOffset.UTC));
        return file;
    }

    private McpPlanOrchestrator orchestrator(boolean withKey) throws IOException {
        Path settings = dir.resolve("settings.json");
        Files.writeString(
                settings,
                "{ \"orchestrator\": { \"actions\": { \"record\": \"fault\" }, \"approval\": {"
                        + " \"requireListedActionsFor\": [\"high\"], \"maxAge\": \"7d\""
                        + (withKey ? ", \"signingKey\": \"" + KEY + "\"" : "") + " } } }");
        return McpPlanOrchestrator.builder()
                .config(settings)
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .startServersForCheck(false)
                .build();
    }

    private List<String> problems(Path file, boolean withKey) throws IOException {
        try (McpPlanOrchestrator orchestrator = orchestrator(withKey)) {
            return orchestrator.check(orchestrator.parse(file)).planProblems().stream()
                    .map(Problem::message)
                    .toList();
        }
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertThat(text).as("the plan holds the text to edit").contains(from);
        Files.writeString(file, text.replace(from, to));
    }

    /** What an editor who knows the hash algorithm does: makes {@code approval_hash} fit the edit. */
    private static void rehash(Path file) throws IOException {
        String hash;
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            hash = ApprovalSeal.hash(parser.parse(file));
        }
        Files.writeString(file, Files.readString(file).replaceAll("(?m)^approval_hash: .*$", "approval_hash: " + hash));
    }

    /** The assertion that reading the file is refused as a format error. */
    private static AbstractThrowableAssert<?, ? extends Throwable> refused(Path file) {
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            return assertThatThrownBy(() -> parser.parse(file)).isInstanceOf(PlanFormatException.class);
        }
    }

    static Stream<Arguments> edits() {
        return Stream.of(
                Arguments.of(
                        "widen approved_actions",
                        PLAN,
                        "approved_actions: [record]",
                        "approved_actions: [record, send_email]"),
                Arguments.of("lower risk_level", PLAN, "risk_level: high", "risk_level: low"),
                Arguments.of("change plan_id", PLAN, "plan_id: cover-1", "plan_id: cover-2"),
                Arguments.of("change task_id", PLAN, "task_id: task-1", "task_id: task-2"),
                Arguments.of("change approver", PLAN, "approved_by: boss@company.com", "approved_by: ceo@company.com"),
                Arguments.of(
                        "change approved_at",
                        PLAN,
                        "approved_at: 2026-11-24T11:59:00Z",
                        "approved_at: 2026-11-24T11:59:30Z"),
                Arguments.of(
                        "change expiry", PLAN, "expires_at: 2026-11-24T12:59:00Z", "expires_at: 2027-11-24T12:59:00Z"),
                Arguments.of("change type", REQUEST, "type: approval_request", "type: plan"),
                Arguments.of("remove approved_actions", PLAN, "approved_actions: [record]\n", ""),
                Arguments.of("remove risk_level", PLAN, "risk_level: high\n", ""),
                Arguments.of("remove plan_id", PLAN, "plan_id: cover-1\n", ""),
                Arguments.of("remove task_id", PLAN, "task_id: task-1\n", ""),
                Arguments.of("remove approved_by", PLAN, "approved_by: boss@company.com\n", ""),
                Arguments.of("remove approved_at", PLAN, "approved_at: 2026-11-24T11:59:00Z\n", ""),
                Arguments.of("remove expires_at", PLAN, "expires_at: 2026-11-24T12:59:00Z\n", ""),
                Arguments.of("remove type", REQUEST, "type: approval_request\n", ""),
                Arguments.of("remove depends_on", PLAN, "  - depends_on: first\n", ""),
                Arguments.of("change a step id", PLAN, "  - id: second", "  - id: other"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edits")
    void anEditOfWhatTheApprovalAllowsIsRefused(String what, String plan, String from, String to) throws IOException {
        Path hashed = sealed(plan, null, APPROVED);
        assertThat(problems(hashed, false)).as("sealed as approved").isEmpty();
        edit(hashed, from, to);
        assertThat(problems(hashed, false))
                .as(what + ", hash only")
                .anyMatch(p -> p.contains("changed after approval"));

        Path signed = sealed(plan, KEY, APPROVED);
        assertThat(problems(signed, true)).as("signed as approved").isEmpty();
        edit(signed, from, to);
        rehash(signed);
        assertThat(problems(signed, true))
                .as(what + ", signed, hash made to fit")
                .anyMatch(p -> p.contains("the approval_signature does not verify"));
    }

    @Test
    void aPlanBuiltInCodeIsHeldToItsSealToo() throws IOException {
        Plan plan = Plan.builder("code-1")
                .status(PlanStatus.APPROVED)
                .approval(Approval.builder()
                        .approvedActions(Set.of("record"))
                        .riskLevel("high")
                        .build())
                .step(Step.builder(1, "Record it").action("record").build())
                .build();
        Approval sealed = ApprovalSeal.seal(plan, "boss@company.com", APPROVED, NOW.plusSeconds(3600), null);
        Plan widened = plan.toBuilder()
                .approval(sealed.toBuilder()
                        .approvedActions(Set.of("record", "send_email"))
                        .build())
                .build();

        try (McpPlanOrchestrator orchestrator = orchestrator(false)) {
            PlanResult result = orchestrator.execute(widened);

            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.errorKind()).contains(ErrorKind.APPROVAL);
            assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).contains("changed after approval"));
        }
    }

    @Test
    void aDependencyOnALaterStepIsRefusedInOrderNamingFileStepAndReference() throws IOException {
        Path file = file(PLAN.replace("  - id: first\n", "  - id: first\n  - depends_on: second\n")
                .replace("  - depends_on: first\n", ""));
        try (McpPlanOrchestrator orchestrator = orchestrator(false)) {
            PlanResult result = orchestrator.execute(orchestrator.parse(file));

            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .contains("preflight failed, nothing was sent")
                            .contains(file + ":12: step 1 (first) depends on 'second', which is the later step 2"
                                    + " (second)"));
        }
    }

    @Test
    void aDependencyOnItselfIsAFormatError() throws IOException {
        Path file = file(PLAN.replace("  - depends_on: first", "  - depends_on: 2"));
        refused(file)
                .hasMessageContaining(file + ":16:")
                .hasMessageContaining("step 2 (second) depends on '2', which is the step itself");
    }

    @Test
    void aPlanBuiltInCodeWithAnUnknownOrLaterDependencyIsRefused() throws IOException {
        Plan plan = Plan.builder("code-deps")
                .status(PlanStatus.APPROVED)
                .step(Step.builder(1, "First")
                        .action("record")
                        .dependsOn(List.of("2"))
                        .build())
                .step(Step.builder(2, "Second")
                        .action("record")
                        .dependsOn(List.of("nowhere"))
                        .build())
                .build();
        try (McpPlanOrchestrator orchestrator = orchestrator(false)) {
            PlanResult result = orchestrator.execute(plan);

            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .contains("step 1 depends on '2', which is the later step 2")
                            .contains("step 2 depends on 'nowhere', which is not a step of this plan"));
        }
    }

    @ParameterizedTest(name = "approved_actions: {0}")
    @MethodSource("badActionLists")
    void anEmptyBlankOrNonListApprovedActionsIsAFormatError(String value, String message) throws IOException {
        Path file = file(PLAN.replace("approved_actions: [record]", "approved_actions: " + value));
        refused(file).hasMessageContaining(file + ":7:").hasMessageContaining(message);
    }

    static Stream<Arguments> badActionLists() {
        return Stream.of(
                Arguments.of("[]", "approved_actions is empty or blank"),
                Arguments.of("\"\"", "approved_actions is empty or blank"),
                Arguments.of("\"  \"", "approved_actions is empty or blank"),
                Arguments.of("{send_email: yes}", "approved_actions must be a list of action names"),
                Arguments.of("[record, \"\"]", "it has an entry that is blank"));
    }

    @Test
    void aSignatureWithoutAConfiguredKeyIsRefused() throws IOException {
        Path file = sealed(PLAN, KEY, APPROVED);

        assertThat(problems(file, false))
                .anyMatch(p -> p.contains("carries an approval_signature, but no signing key is configured"));
    }

    @Test
    void anApprovalTimeInTheFutureIsRefusedBeyondTheClockSkew() throws IOException {
        Path future = sealed(PLAN, null, NOW.plus(Duration.ofDays(1)));
        assertThat(problems(future, false)).anyMatch(p -> p.contains("is in the future"));

        Path skewed = sealed(PLAN, null, NOW.plus(Duration.ofMinutes(1)));
        assertThat(problems(skewed, false)).as("within the clock skew").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("doubleExpiries")
    void anExpiryGivenTwiceDifferentlyIsAmbiguous(String expires, String expiresAt) throws IOException {
        Path file = file(PLAN.replace(
                "risk_level: high\n", "risk_level: high\nexpires: " + expires + "\nexpires_at: " + expiresAt + "\n"));
        refused(file).hasMessageContaining("the expiry is given twice");
    }

    static Stream<Arguments> doubleExpiries() {
        return Stream.of(
                Arguments.of("2026-11-24T13:00:00Z", ""), Arguments.of("2026-11-24T13:00:00Z", "2026-12-24T13:00:00Z"));
    }

    @ParameterizedTest(name = "expires_at: {0}")
    @MethodSource("zonelessTimes")
    void anExpiryWithoutATimeZoneIsRefused(String value) throws IOException {
        Path file = file(PLAN.replace("risk_level: high\n", "risk_level: high\nexpires_at: " + value + "\n"));
        refused(file).hasMessageContaining("'expires_at' has no time zone: " + value);
    }

    static Stream<String> zonelessTimes() {
        return Stream.of("2026-11-24T13:00:00", "2026-11-25");
    }

    @Test
    void aSealOfTheFirstFormIsRefusedWithAskToApproveAgain() throws IOException {
        Path file = file(PLAN.replace("risk_level: high\n", "risk_level: high\napproval_hash: " + V1_HASH + "\n"));

        assertThat(problems(file, false)).anyMatch(p -> p.contains("sealed in an older form (mcp-plan-approval/v1)"));
    }

    /** The first form's hash of {@link #PLAN}'s steps, as a v1 approval tool wrote it. */
    private static final String V1_HASH = "sha256:c648a2d22946a9549f620a3a7d0e78cbbec04010a589915ebd99a3053ea38a6e";
}
