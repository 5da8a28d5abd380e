package dev.mcpplan.orchestrator;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a person approved: who, when, until when, which actions, at what risk, and (when the approval
 * tool binds it) a hash and signature of the approved content.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()}; every field is optional.
 */
public final class Approval {
    private static final Approval NONE = builder().build();

    private final String approvedBy;
    private final Instant approvedAt;
    private final Instant expiresAt;
    private final Set<String> approvedActions;
    private final String riskLevel;
    private final String approvalHash;
    private final String signature;

    private Approval(Builder builder) {
        this.approvedBy = builder.approvedBy;
        this.approvedAt = builder.approvedAt;
        this.expiresAt = builder.expiresAt;
        this.approvedActions = builder.approvedActions == null
                ? null
                : java.util.Collections.unmodifiableSet(new LinkedHashSet<>(builder.approvedActions));
        this.riskLevel = builder.riskLevel;
        this.approvalHash = builder.approvalHash;
        this.signature = builder.signature;
    }

    /** An approval that says nothing. */
    public static Approval none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this approval's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.approvedBy = approvedBy;
        b.approvedAt = approvedAt;
        b.expiresAt = expiresAt;
        b.approvedActions = approvedActions == null ? null : new LinkedHashSet<>(approvedActions);
        b.riskLevel = riskLevel;
        b.approvalHash = approvalHash;
        b.signature = signature;
        return b;
    }

    public Optional<String> approvedBy() {
        return Optional.ofNullable(approvedBy);
    }

    public Optional<Instant> approvedAt() {
        return Optional.ofNullable(approvedAt);
    }

    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /**
     * The actions the approval names, when the plan lists them; empty when it does not list any (which
     * is not the same as listing none).
     */
    public Optional<Set<String>> approvedActions() {
        return Optional.ofNullable(approvedActions);
    }

    public Optional<String> riskLevel() {
        return Optional.ofNullable(riskLevel);
    }

    /** The {@code approval_hash} of the approved content, when the approval carries one. */
    public Optional<String> approvalHash() {
        return Optional.ofNullable(approvalHash);
    }

    /** The {@code approval_signature}, when the approval carries one. */
    public Optional<String> signature() {
        return Optional.ofNullable(signature);
    }

    /** Whether the approval has expired at the given instant. */
    public boolean isExpiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Approval a
                && Objects.equals(approvedBy, a.approvedBy)
                && Objects.equals(approvedAt, a.approvedAt)
                && Objects.equals(expiresAt, a.expiresAt)
                && Objects.equals(approvedActions, a.approvedActions)
                && Objects.equals(riskLevel, a.riskLevel)
                && Objects.equals(approvalHash, a.approvalHash)
                && Objects.equals(signature, a.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(approvedBy, approvedAt, expiresAt, approvedActions, riskLevel, approvalHash, signature);
    }

    @Override
    public String toString() {
        return "Approval{by=" + approvedBy + ", at=" + approvedAt + ", expires=" + expiresAt + ", actions="
                + approvedActions + ", risk=" + riskLevel + "}";
    }

    /** Builds an {@link Approval}. Not thread-safe. */
    public static final class Builder {
        private String approvedBy;
        private Instant approvedAt;
        private Instant expiresAt;
        private Set<String> approvedActions;
        private String riskLevel;
        private String approvalHash;
        private String signature;

        private Builder() {}

        public Builder approvedBy(String approvedBy) {
            this.approvedBy = approvedBy;
            return this;
        }

        public Builder approvedAt(Instant approvedAt) {
            this.approvedAt = approvedAt;
            return this;
        }

        public Builder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        /**
         * The listed actions; {@code null} means the plan lists none (any detected action is checked by
         * policy only), an empty set that no action is approved.
         *
         * @throws IllegalArgumentException if an action name is blank
         */
        public Builder approvedActions(Set<String> approvedActions) {
            if (approvedActions != null) {
                for (String action : approvedActions) {
                    if (Objects.requireNonNull(action, "approved action").isBlank()) {
                        throw new IllegalArgumentException("an approved action must not be blank");
                    }
                }
            }
            this.approvedActions = approvedActions == null ? null : new LinkedHashSet<>(approvedActions);
            return this;
        }

        public Builder riskLevel(String riskLevel) {
            this.riskLevel = riskLevel;
            return this;
        }

        public Builder approvalHash(String approvalHash) {
            this.approvalHash = approvalHash;
            return this;
        }

        public Builder signature(String signature) {
            this.signature = signature;
            return this;
        }

        public Approval build() {
            return new Approval(this);
        }
    }
}
