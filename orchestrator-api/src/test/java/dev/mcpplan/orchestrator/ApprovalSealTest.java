package dev.mcpplan.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ApprovalSealTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef-test-key".getBytes(StandardCharsets.UTF_8);
    private static final Instant AT = Instant.parse("2026-11-24T10:00:00Z");
    private static final Instant UNTIL = Instant.parse("2026-11-25T10:00:00Z");

    private static Plan plan(String text, boolean checked, Map<String, ?> parameters) {
        return Plan.builder("p")
                .steps(List.of(
                        Step.builder(1, text)
                                .checked(checked)
                                .action("send_email")
                                .parameters(parameters)
                                .build(),
                        Step.builder(2, "Log it").build()))
                .build();
    }

    @Test
    void theHashIgnoresWhiteSpaceCheckboxesAndParameterOrderButNotContent() {
        String hash = ApprovalSeal.hash(plan("Send the  invoice", false, Map.of("to", "a@b.com", "n", 1)));
        assertThat(hash).matches("v2:sha256:[0-9a-f]{64}");
        assertThat(ApprovalSeal.hash(plan("  Send the invoice\t", true, Map.of("n", 1.0, "to", "a@b.com"))))
                .isEqualTo(hash);
        assertThat(ApprovalSeal.hash(plan("Send the invoice", false, Map.of("to", "evil@b.com", "n", 1))))
                .isNotEqualTo(hash);
        assertThat(ApprovalSeal.hash(plan("Send the invoices", false, Map.of("to", "a@b.com", "n", 1))))
                .isNotEqualTo(hash);
        assertThat(ApprovalSeal.hash(plan("Send the invoice", false, Map.of("to", "a@b.com", "n", 2))))
                .isNotEqualTo(hash);
        assertThat(ApprovalSeal.hash(plan("Send the invoice", false, Map.of("to", "a@b.com", "n", 1, "bcc", "x"))))
                .isNotEqualTo(hash);
    }

    private static Plan with(Plan plan, Approval approval) {
        return plan.toBuilder().approval(approval).build();
    }

    @Test
    void aSignatureVerifiesOnlyWithItsKeyAndThePlanAsSigned() {
        Plan plan = plan("Send it", false, Map.of("to", "a@b.com"));
        Approval sealed = ApprovalSeal.seal(plan, "boss@company.com", AT, UNTIL, KEY);
        assertThat(sealed.signature())
                .hasValueSatisfying(s -> assertThat(s).matches("v2:hmac-sha256:[A-Za-z0-9_-]{43}"));
        assertThat(ApprovalSeal.verify(KEY, with(plan, sealed))).isTrue();
        assertThat(ApprovalSeal.hash(with(plan, sealed)))
                .isEqualTo(sealed.approvalHash().orElseThrow());

        byte[] otherKey = "another-key-that-is-long-enough-to-be-used!".getBytes(StandardCharsets.UTF_8);
        assertThat(ApprovalSeal.verify(otherKey, with(plan, sealed))).isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY,
                        with(
                                plan,
                                sealed.toBuilder()
                                        .approvedBy("intern@company.com")
                                        .build())))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY,
                        with(
                                plan,
                                sealed.toBuilder()
                                        .expiresAt(UNTIL.plusSeconds(86_400))
                                        .build())))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY,
                        with(
                                plan,
                                sealed.toBuilder().approvedAt(AT.plusSeconds(1)).build())))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY, with(plan, sealed.toBuilder().riskLevel("low").build())))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY,
                        with(
                                plan,
                                sealed.toBuilder()
                                        .approvedActions(Set.of("send_email"))
                                        .build())))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY,
                        with(plan, sealed).toBuilder()
                                .kind(Plan.Kind.APPROVAL_REQUEST)
                                .build()))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY, with(plan, sealed).toBuilder().taskId("t-2").build()))
                .isFalse();
        assertThat(ApprovalSeal.verify(
                        KEY, with(plan, sealed.toBuilder().signature(null).build())))
                .isFalse();
        assertThat(ApprovalSeal.seal(plan, "boss@company.com", AT, null, null).signature())
                .isEmpty();
        assertThatThrownBy(() -> ApprovalSeal.sign(new byte[8], plan))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32 bytes");
    }

    @Test
    void onlySealsOfTheCurrentFormAreCurrent() {
        Approval sealed = ApprovalSeal.seal(plan("Send it", false, Map.of()), "boss@company.com", AT, UNTIL, KEY);
        assertThat(ApprovalSeal.isCurrent(sealed.approvalHash().orElseThrow())).isTrue();
        assertThat(ApprovalSeal.isCurrent(sealed.signature().orElseThrow())).isTrue();
        assertThat(ApprovalSeal.isCurrent("sha256:" + "0".repeat(64))).isFalse();
        assertThat(ApprovalSeal.isCurrent("hmac-sha256:aULh75oXwuonXWDQ3UofHDkm6NPlPlaS224ekQQfUfo"))
                .isFalse();
    }

    @Property(tries = 300)
    void reformattingTheStepTextNeverChangesTheHashAndEditingAValueAlwaysDoes(
            @ForAll("words") List<String> words, @ForAll("values") String value, @ForAll("values") String other) {
        String text = String.join(" ", words);
        String spaced = "  " + String.join(" \t  ", words) + " ";
        Map<String, Object> parameters = Map.of("body", value, "list", List.of(value, 3));
        String hash = ApprovalSeal.hash(plan(text, false, parameters));
        assertThat(ApprovalSeal.hash(plan(spaced, true, parameters))).isEqualTo(hash);
        if (!other.equals(value)) {
            assertThat(ApprovalSeal.hash(plan(text, false, Map.of("body", other, "list", List.of(value, 3)))))
                    .isNotEqualTo(hash);
            assertThat(ApprovalSeal.hash(plan(text, false, Map.of("body", value, "list", List.of(other, 3)))))
                    .isNotEqualTo(hash);
        }
    }

    @Provide
    Arbitrary<List<String>> words() {
        return Arbitraries.strings()
                .withCharRange('a', 'z')
                .ofMinLength(1)
                .ofMaxLength(8)
                .list()
                .ofMinSize(1)
                .ofMaxSize(6);
    }

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.strings().all().ofMaxLength(20);
    }
}
