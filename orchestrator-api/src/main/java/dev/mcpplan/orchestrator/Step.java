package dev.mcpplan.orchestrator;

import dev.mcpplan.orchestrator.spi.JsonValues;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One step of a plan: the text a person wrote, whether it is checked off, and what the plan says
 * about it (an explicit {@code action:}, parameters, {@code depends_on}).
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(int, String)}.
 */
public final class Step {
    private final int number;
    private final String id;
    private final String text;
    private final boolean checked;
    private final String action;
    private final Map<String, Object> parameters;
    private final List<String> dependsOn;
    private final int line;
    private final boolean flaggedSensitive;

    private Step(Builder b) {
        this.number = b.number;
        this.id = b.id;
        this.text = b.text;
        this.checked = b.checked;
        this.action = b.action;
        this.parameters = b.parameters == null ? Collections.emptyMap() : JsonValues.copyOf(b.parameters);
        this.dependsOn = b.dependsOn == null ? List.of() : List.copyOf(b.dependsOn);
        this.line = b.line;
        this.flaggedSensitive = b.flaggedSensitive;
    }

    /**
     * @param number the 1-based position of the step in its plan
     * @param text the step's text, without list marker and checkbox
     * @throws IllegalArgumentException if number is less than 1
     */
    public static Builder builder(int number, String text) {
        return new Builder(number, text);
    }

    public Builder toBuilder() {
        Builder b = new Builder(number, text);
        b.id = id;
        b.checked = checked;
        b.action = action;
        b.parameters(parameters);
        b.dependsOn(dependsOn);
        b.line = line;
        b.flaggedSensitive = flaggedSensitive;
        return b;
    }

    /** The 1-based position in the plan. */
    public int number() {
        return number;
    }

    /** The {@code id:} the plan gives the step, if any. */
    public Optional<String> id() {
        return Optional.ofNullable(id);
    }

    /** The step's text, without list marker, checkbox or {@code Step N:} prefix. */
    public String text() {
        return text;
    }

    /** Whether the step is checked off ({@code - [x]}): done, and not run again. */
    public boolean checked() {
        return checked;
    }

    /** The action the step names explicitly with {@code action:}, if any. */
    public Optional<String> action() {
        return Optional.ofNullable(action);
    }

    /** The step's parameters in the order written; unmodifiable, deeply. */
    public Map<String, Object> parameters() {
        return parameters;
    }

    /** The steps this one waits for, by number or id, as written. */
    public List<String> dependsOn() {
        return dependsOn;
    }

    /** The 1-based line of the step in its file, or 0 for a step built in code. */
    public int line() {
        return line;
    }

    /** Whether the author flagged the step as sensitive, for example with {@code (REQUIRES APPROVAL)}. */
    public boolean flaggedSensitive() {
        return flaggedSensitive;
    }

    /** A name for messages: {@code step 3} or {@code step 3 (send-offer)}. */
    public String label() {
        return id == null ? "step " + number : "step " + number + " (" + id + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Step s
                && number == s.number
                && checked == s.checked
                && line == s.line
                && flaggedSensitive == s.flaggedSensitive
                && Objects.equals(id, s.id)
                && text.equals(s.text)
                && Objects.equals(action, s.action)
                && parameters.equals(s.parameters)
                && dependsOn.equals(s.dependsOn);
    }

    @Override
    public int hashCode() {
        return Objects.hash(number, id, text, checked, action, parameters, dependsOn, line, flaggedSensitive);
    }

    @Override
    public String toString() {
        return "Step{" + number + (id == null ? "" : " id=" + id) + (checked ? " [x] " : " [ ] ") + text
                + (action == null ? "" : " action=" + action) + " params=" + parameters.keySet()
                + (dependsOn.isEmpty() ? "" : " depends_on=" + dependsOn) + "}";
    }

    /** Builds a {@link Step}. Not thread-safe. */
    public static final class Builder {
        private final int number;
        private final String text;
        private String id;
        private boolean checked;
        private String action;
        // made on first use: most steps have neither, and a plan may have 200,000 steps
        private Map<String, Object> parameters;
        private List<String> dependsOn;
        private int line;
        private boolean flaggedSensitive;

        private Builder(int number, String text) {
            if (number < 1) {
                throw new IllegalArgumentException("step number must be 1 or more, was " + number);
            }
            this.number = number;
            this.text = Objects.requireNonNull(text, "text");
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder checked(boolean checked) {
            this.checked = checked;
            return this;
        }

        public Builder action(String action) {
            this.action = action;
            return this;
        }

        /** Adds one parameter; a later value for the same key replaces the earlier one. */
        public Builder parameter(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (parameters == null) {
                parameters = new LinkedHashMap<>();
            }
            parameters.put(key, value);
            return this;
        }

        public Builder parameters(Map<String, ?> parameters) {
            parameters.forEach(this::parameter);
            return this;
        }

        public Builder dependsOn(List<String> references) {
            references.forEach(r -> {
                Objects.requireNonNull(r, "reference");
                if (dependsOn == null) {
                    dependsOn = new ArrayList<>();
                }
                dependsOn.add(r);
            });
            return this;
        }

        public Builder line(int line) {
            if (line < 0) {
                throw new IllegalArgumentException("line must not be negative, was " + line);
            }
            this.line = line;
            return this;
        }

        public Builder flaggedSensitive(boolean flaggedSensitive) {
            this.flaggedSensitive = flaggedSensitive;
            return this;
        }

        public Step build() {
            return new Step(this);
        }
    }
}
