package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.HandClock;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approval verification end to end: plan files in a vault, sealed with {@link PlanApprover}, tampered
 * with in the ways an attacker or an accident would, run against a real server. A refused plan sends
 * nothing, ends in {@code Failed/} and raises an alert.
 */
class ApprovalVerificationTest {
    private static final String KEY = "test-signing-key-with-at-least-32-bytes!";
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    @TempDir
    Path vault;

    private final List<String> alerts = new CopyOnWriteArrayList<>();

    private static String plan(String id, String frontMatter) {
        return """
                ---
                plan_id: %s
                status: pending
                %s
                ---
                # Record things

                ## Steps
                - [ ] Record the first
                  - action: record
                  - text: %s-first
                - [ ] Record the second
                  - action: record
                  - text: %s-second
                """.formatted(id, frontMatter, id, id);
    }

    private Map<String, PlanResult> run(String approvalSettings, Clock clock, ExecutionListener... listeners)
            throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault, clock);
        Path settings = vault.resolve("settings.json");
        Files.writeString(
                settings,
                "{ \"orchestrator\": { \"actions\": { \"record\": \"fault\" }, \"approval\": " + approvalSettings
                        + " } }");
        McpPlanOrchestrator.Builder builder = McpPlanOrchestrator.builder()
                .environment(Map.of("APPROVAL_KEY", KEY))
                .config(settings)
                .clock(clock)
                .server(Servers.faultServer(
                        "fault", "--log", vault.resolve("record.log").toString()))
                .discoverPlugins(getClass().getClassLoader())
                .listener(new ExecutionListener() {
                    @Override
                    public void alert(Plan plan, ErrorKind kind, String message) {
                        alerts.add(plan.id() + " " + kind + " " + message);
                    }
                });
        for (ExecutionListener l : listeners) {
            builder.listener(l);
        }
        try (McpPlanOrchestrator orchestrator = builder.build()) {
            return orchestrator.processReady(store).stream()
                    .collect(Collectors.toMap(PlanResult::planId, Function.identity()));
        }
    }

    private Path approved(String name, String text) throws IOException {
        Path file = VaultPlanStore.open(vault).approvedDir().resolve(name + ".md");
        Files.writeString(file, text);
        return file;
    }

    private static void approve(Path file, String who, Instant at, Duration validFor, String key) {
        PlanApprover.approve(
                file,
                who,
                validFor,
                null,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                Clock.fixed(at, ZoneOffset.UTC));
    }

    private static void edit(Path file, String from, String to) {
        try {
            String text = Files.readString(file);
            assertThat(text).contains(from);
            Files.writeString(file, text.replace(from, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> recorded() throws IOException {
        Path log = vault.resolve("record.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private void assertRefused(PlanResult result, String reason) {
        assertThat(result.status()).as(result.planId()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).as(result.planId()).contains(ErrorKind.APPROVAL);
        assertThat(result.error())
                .as(result.planId())
                .hasValueSatisfying(e -> assertThat(e).contains(reason));
        assertThat(vault.resolve("Failed").resolve(result.planId() + ".md")).exists();
        assertThat(alerts).as("alerts").anyMatch(a -> a.startsWith(result.planId() + " APPROVAL"));
    }

    @Test
    void withASigningKeyOnlyAnUntouchedPlanSignedWithThatKeyRuns() throws IOException {
        Instant at = NOW.minusSeconds(60);
        approve(approved("signed", plan("signed", "")), "boss@company.com", at, Duration.ofHours(1), KEY);
        Path edited = approved("edited", plan("edited", ""));
        approve(edited, "boss@company.com", at, Duration.ofHours(1), KEY);
        edit(edited, "text: edited-second", "text: wire 10000 EUR to the attacker");
        approve(
                approved("forged", plan("forged", "")),
                "boss@company.com",
                at,
                Duration.ofHours(1),
                "a-key-the-attacker-made-up-for-this-plan");
        approve(approved("unsigned", plan("unsigned", "")), "boss@company.com", at, Duration.ofHours(1), null);
        Path swapped = approved("swapped", plan("swapped", ""));
        approve(swapped, "intern@company.com", at, Duration.ofHours(1), KEY);
        edit(swapped, "approved_by: intern@company.com", "approved_by: ceo@company.com");
        Path stretched = approved("stretched", plan("stretched", ""));
        approve(stretched, "boss@company.com", at, Duration.ofHours(1), KEY);
        edit(stretched, "expires_at: " + at.plus(Duration.ofHours(1)), "expires_at: 2027-12-31T00:00:00Z");
        approve(
                approved("expired", plan("expired", "")),
                "boss@company.com",
                NOW.minus(Duration.ofHours(3)),
                Duration.ofHours(1),
                KEY);
        approved("bare", plan("bare", "approved_by: boss@company.com"));

        Map<String, PlanResult> results =
                run("{ \"signingKey\": \"${APPROVAL_KEY}\" }", Clock.fixed(NOW, ZoneOffset.UTC));

        assertThat(results).hasSize(8);
        assertThat(results.get("signed").status()).isEqualTo(PlanStatus.COMPLETED);
        assertRefused(results.get("edited"), "the plan changed after approval");
        assertRefused(results.get("forged"), "the approval_signature does not verify");
        assertRefused(results.get("unsigned"), "no approval_signature");
        assertRefused(results.get("swapped"), "the plan changed after approval");
        assertRefused(results.get("stretched"), "the plan changed after approval");
        assertRefused(results.get("expired"), "the approval expired at");
        assertRefused(results.get("bare"), "no approval_hash");
        assertThat(recorded())
                .extracting(l -> l.substring(l.indexOf('\t') + 1))
                .containsExactly("signed-first", "signed-second");
    }

    @Test
    void policiesOnAgeApproverAndListedActionsAreEnforced() throws IOException {
        approved("fresh", plan("fresh", "approved_by: boss@company.com"));
        approved("old", plan("old", "approved_by: boss@company.com\napproved_at: 2026-11-10T00:00:00Z"));
        approved("anonymous", plan("anonymous", "risk_level: high\napproved_actions: [record]"));
        approved("unlisted", plan("unlisted", "approved_by: boss@company.com"));
        approved("listed", plan("listed", "approved_by: boss@company.com\napproved_actions: [record]"));
        String policy = """
                { "maxAge": "7d", "requireApproverFor": ["high"], "alwaysListed": ["record"] }""";

        Map<String, PlanResult> results = run(policy, Clock.systemUTC());

        assertRefused(results.get("old"), "older than the maximum age of PT168H");
        assertRefused(results.get("anonymous"), "approved_by is required for high risk plans");
        assertRefused(results.get("unlisted"), "'record' runs only when the plan lists it in approved_actions");
        assertRefused(results.get("fresh"), "'record' runs only when the plan lists it in approved_actions");
        assertThat(results.get("listed").status())
                .as("a vault plan's age counts from its arrival in Approved/")
                .isEqualTo(PlanStatus.COMPLETED);
        assertThat(recorded()).hasSize(2);
    }

    @Test
    void theApprovalIsCheckedAgainBeforeEveryStep() throws IOException {
        HandClock clock = new HandClock(NOW);
        Path expiring = approved("expiring", plan("expiring", ""));
        approve(expiring, "boss@company.com", NOW.minusSeconds(60), Duration.ofMinutes(5), KEY);
        ExecutionListener timeFlies = new ExecutionListener() {
            @Override
            public void stepFinished(Plan plan, Step step, StepResult result) {
                clock.advance(Duration.ofMinutes(10));
            }
        };

        PlanResult result =
                run("{ \"signingKey\": \"${APPROVAL_KEY}\" }", clock, timeFlies).get("expiring");

        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.SUCCEEDED, StepStatus.NOT_RUN);
        assertRefused(result, "the approval no longer holds, so step 2 was not run: the approval expired at");
        assertThat(recorded()).hasSize(1);
    }

    @Test
    void aPlanEditedWhileItRunsStopsBeforeTheNextStep() throws IOException {
        Path tampered = approved("tampered", plan("tampered", "approved_by: boss@company.com"));
        ExecutionListener tamper = new ExecutionListener() {
            @Override
            public void stepFinished(Plan plan, Step step, StepResult result) {
                if (step.number() == 1) {
                    edit(
                            vault.resolve("In_Progress").resolve(tampered.getFileName()),
                            "text: tampered-second",
                            "text: something nobody approved");
                }
            }
        };

        PlanResult result = run("{}", Clock.systemUTC(), tamper).get("tampered");

        assertRefused(result, "the plan's steps were edited after the run started");
        assertThat(recorded()).extracting(l -> l.substring(l.indexOf('\t') + 1)).containsExactly("tampered-first");
    }

    @Test
    void theApproverSealsAFileInPlaceKeepingEverythingElse() throws IOException {
        Path file = approved("sealed", plan("sealed", "# a comment\napproved_actions:\n  - record\n  - echo"));
        Set<PosixFilePermission> shared = PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(file, shared);
        PlanApprover.approve(
                file,
                "boss@company.com",
                Duration.ofHours(2),
                Set.of("record"),
                KEY.getBytes(StandardCharsets.UTF_8),
                Clock.fixed(NOW, ZoneOffset.UTC));

        String text = Files.readString(file);
        assertThat(text)
                .contains("# a comment")
                .contains("status: approved")
                .contains("approved_by: boss@company.com")
                .contains("approved_at: 2026-11-24T12:00:00Z")
                .contains("expires_at: 2026-11-24T14:00:00Z")
                .contains("approved_actions: record")
                .doesNotContain("  - echo")
                .containsPattern("approval_hash: v2:sha256:[0-9a-f]{64}")
                .containsPattern("approval_signature: v2:hmac-sha256:[A-Za-z0-9_-]{43}")
                .contains("- [ ] Record the first");
        assertThat(Files.getPosixFilePermissions(file))
                .as("the rewritten file keeps its permissions")
                .isEqualTo(shared);
    }
}
