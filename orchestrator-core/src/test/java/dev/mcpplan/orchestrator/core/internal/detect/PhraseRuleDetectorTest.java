package dev.mcpplan.orchestrator.core.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PhraseRuleDetectorTest {
    private final PhraseRuleDetector detector = PhraseRuleDetector.defaults(Settings.seedPhrases());

    private static DetectionContext context(Step step) {
        Plan plan = Plan.builder("p").step(step).build();
        return DetectionContext.of(plan, step);
    }

    private Optional<DetectedAction> detect(String text) {
        return detector.detect(context(Step.builder(1, text).build()));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Send email to client@example.com | send_email",
                "SEND   EMAIL to the board | send_email",
                "Reply by email to bob@x.org | send_email",
                "Post to LinkedIn about the launch | post_linkedin",
                "Send WhatsApp to +44 7700 900123 | send_whatsapp",
                "Read from vault Clients/acme.md | read_vault",
                "Check vault for the contract | read_vault",
                "Save to vault Clients/acme.md | write_vault",
                "Write to vault the meeting notes | write_vault",
                "Check email for the reply | read_gmail",
                "Post to Slack in #general | slack_message",
            })
    void recognisesTheSeedPhrases(String text, String action) {
        assertThat(detect(text)).map(DetectedAction::type).contains(action);
    }

    @Test
    void aStepWithNoPhraseIsNotRecognised() {
        assertThat(detect("Draft a follow-up reminder for next week")).isEmpty();
        assertThat(detect("Resend emails later")).isEmpty();
    }

    @Test
    void theEarliestPhraseInTheTextWins() {
        assertThat(detect("Save to vault the draft, then send email to a@b.co"))
                .map(DetectedAction::type)
                .contains("write_vault");
    }

    @Test
    void extractsObviousParametersButTheStepsOwnWin() {
        assertThat(detect("Send email to client@example.com").orElseThrow().parameters())
                .isEqualTo(Map.of("to", "client@example.com"));
        assertThat(detect("Send WhatsApp to +44 (7700) 900-123").orElseThrow().parameters())
                .isEqualTo(Map.of("to", "+447700900123"));
        assertThat(detect("Save to vault Clients/acme.md").orElseThrow().parameters())
                .isEqualTo(Map.of("path", "Clients/acme.md"));
        Step step = Step.builder(1, "Send email to client@example.com")
                .parameter("to", "other@example.com")
                .build();
        assertThat(detector.detect(context(step)).orElseThrow().parameters())
                .isEqualTo(Map.of("to", "other@example.com"));
    }

    @Test
    void theExplicitDetectorTakesTheNamedActionWithTheStepsParameters() {
        Step step = Step.builder(1, "Do the thing")
                .action("write_vault")
                .parameter("path", "a.md")
                .build();
        assertThat(new ExplicitActionDetector().detect(context(step)))
                .contains(new DetectedAction("write_vault", Map.of("path", "a.md")));
        assertThat(new ExplicitActionDetector()
                        .detect(context(Step.builder(1, "Send email").build())))
                .isEmpty();
    }
}
