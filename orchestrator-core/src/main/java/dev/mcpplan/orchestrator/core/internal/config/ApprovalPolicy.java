package dev.mcpplan.orchestrator.core.internal.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an approval must carry beyond being approved and unexpired, from the {@code approval} block of
 * the settings. By default nothing more: an {@code approval_hash}, when a plan has one, is checked all
 * the same.
 *
 * @param signingKey the key shared with the approval tool; when set, every plan needs an
 *     {@code approval_hash} and an {@code approval_signature} that verifies. Never shown by
 *     {@link #toString()}
 * @param requireHash whether every plan needs an {@code approval_hash}, even without a signing key
 * @param maxAge the longest time an approval holds after {@code approved_at} (or, in a vault, after the
 *     file entered {@code Approved/}), or null for no limit
 * @param approverRequiredFor risk levels (lower case; {@code *} for all plans) that need {@code approved_by}
 * @param listingRequiredFor risk levels (lower case; {@code *} for all plans) that must list
 *     {@code approved_actions}
 * @param alwaysListed actions that run only when a plan lists them in {@code approved_actions}
 */
public record ApprovalPolicy(
        String signingKey,
        boolean requireHash,
        Duration maxAge,
        Set<String> approverRequiredFor,
        Set<String> listingRequiredFor,
        Set<String> alwaysListed) {
    /** The shortest signing key accepted, in bytes. */
    public static final int MIN_KEY_BYTES = 32;

    /**
     * How far in the future an {@code approved_at} may lie, for clocks that differ a little between the
     * approval tool and the orchestrator; later is refused, since it would stretch {@code maxAge}.
     */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(2);

    public ApprovalPolicy {
        approverRequiredFor = Set.copyOf(approverRequiredFor);
        listingRequiredFor = Set.copyOf(listingRequiredFor);
        alwaysListed = Set.copyOf(alwaysListed);
        if (signingKey != null && signingKey.getBytes(StandardCharsets.UTF_8).length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("approval signingKey must have at least " + MIN_KEY_BYTES + " bytes");
        }
    }

    /** No requirement beyond the approval itself. */
    public static ApprovalPolicy none() {
        return new ApprovalPolicy(null, false, null, Set.of(), Set.of(), Set.of());
    }

    /** The signing key's bytes, when one is configured. */
    public Optional<byte[]> key() {
        return Optional.ofNullable(signingKey).map(k -> k.getBytes(StandardCharsets.UTF_8));
    }

    public Optional<Duration> maxAgeLimit() {
        return Optional.ofNullable(maxAge);
    }

    /** Whether a plan of this risk level (or none) needs {@code approved_by}. */
    public boolean approverRequired(Optional<String> risk) {
        return applies(approverRequiredFor, risk);
    }

    /** Whether a plan of this risk level (or none) must list its actions. */
    public boolean listingRequired(Optional<String> risk) {
        return applies(listingRequiredFor, risk);
    }

    private static boolean applies(Set<String> levels, Optional<String> risk) {
        return levels.contains("*")
                || risk.map(r -> levels.contains(r.toLowerCase(Locale.ROOT))).orElse(false);
    }

    @Override
    public String toString() {
        return "ApprovalPolicy[signingKey=" + (signingKey == null ? "none" : "***") + ", requireHash=" + requireHash
                + ", maxAge=" + maxAge + ", approverRequiredFor=" + approverRequiredFor + ", listingRequiredFor="
                + listingRequiredFor + ", alwaysListed=" + alwaysListed + "]";
    }
}
