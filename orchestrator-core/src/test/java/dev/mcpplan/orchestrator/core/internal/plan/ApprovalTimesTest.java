package dev.mcpplan.orchestrator.core.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.PlanFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The time fields of an approval ({@code approved_at}, {@code expires_at}, {@code expires}) over
 * generated instants and offsets, zone-less forms and keys given twice.
 */
class ApprovalTimesTest {
    private static Approval approval(String frontMatter) {
        String plan = "---\nstatus: approved\n" + frontMatter + "---\n## Steps\n- [ ] Do it\n";
        return PlanParser.parse("times.md", plan.getBytes(StandardCharsets.UTF_8), null)
                .approval();
    }

    private static Function<Approval, Optional<Instant>> field(String key) {
        return key.equals("approved_at") ? Approval::approvedAt : Approval::expiresAt;
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs()
                .between(
                        Instant.parse("1970-01-01T00:00:00Z").getEpochSecond(),
                        Instant.parse("2200-01-01T00:00:00Z").getEpochSecond())
                .flatMap(s -> Arbitraries.of(0, 500_000_000, 123_456_789).map(n -> Instant.ofEpochSecond(s, n)));
    }

    @Provide
    Arbitrary<ZoneOffset> offsets() {
        return Arbitraries.integers().between(-18 * 60, 18 * 60).map(m -> ZoneOffset.ofTotalSeconds(m * 60));
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.of("approved_at", "expires_at", "expires");
    }

    @Property(tries = 300)
    void aTimeWithAnyOffsetReadsAsItsInstant(
            @ForAll("keys") String key, @ForAll("instants") Instant at, @ForAll("offsets") ZoneOffset offset) {
        Approval approval = approval(key + ": " + at.atOffset(offset) + "\n");

        assertThat(field(key).apply(approval)).contains(at);
    }

    @Property(tries = 300)
    void aTimeWithoutAZoneIsRefused(
            @ForAll("keys") String key, @ForAll("instants") Instant at, @ForAll boolean dateOnly) {
        String value = dateOnly
                ? at.atOffset(ZoneOffset.UTC).toLocalDate().toString()
                : at.atOffset(ZoneOffset.UTC).toLocalDateTime().toString();

        assertThatThrownBy(() -> approval(key + ": " + value + "\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("'" + key + "' has no time zone: " + value);
    }

    @Property(tries = 200)
    void aTimeKeyGivenTwiceIsRefused(
            @ForAll("keys") String key, @ForAll("instants") Instant first, @ForAll("instants") Instant second) {
        assertThatThrownBy(() -> approval(key + ": " + first + "\n" + key + ": " + second + "\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("Duplicate");
    }

    @Property(tries = 100)
    void aBoldHeaderTimeGivenTwiceIsRefused(@ForAll("instants") Instant first, @ForAll("instants") Instant second) {
        String plan = "**Approved At:** " + first + "\n**Approved At:** " + second + "\n## Steps\n- [ ] Do it\n";

        assertThatThrownBy(() -> PlanParser.parse("bold.md", plan.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("the header 'Approved At' is given twice");
    }

    @Property(tries = 300)
    void expiresAndExpiresAtMustNameTheSameInstant(
            @ForAll("instants") Instant a,
            @ForAll("instants") Instant b,
            @ForAll boolean same,
            @ForAll("offsets") ZoneOffset offset) {
        Instant other = same ? a : b;
        String frontMatter = "expires: " + a + "\nexpires_at: " + other.atOffset(offset) + "\n";
        if (a.equals(other)) {
            assertThat(approval(frontMatter).expiresAt()).contains(a);
        } else {
            assertThatThrownBy(() -> approval(frontMatter))
                    .isInstanceOf(PlanFormatException.class)
                    .hasMessageContaining("the expiry is given twice");
        }
    }

    @Property(tries = 100)
    void aBlankExpiryBesideAnExpiryIsRefused(@ForAll("instants") Instant at, @ForAll boolean blankFirst) {
        String frontMatter =
                blankFirst ? "expires:\nexpires_at: " + at + "\n" : "expires: " + at + "\nexpires_at: \"\"\n";

        assertThatThrownBy(() -> approval(frontMatter))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("the expiry is given twice")
                .hasMessageContaining("blank");
    }
}
