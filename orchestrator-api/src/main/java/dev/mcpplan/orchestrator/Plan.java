package dev.mcpplan.orchestrator;

import dev.mcpplan.orchestrator.spi.JsonValues;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An approved (or to-be-approved) plan: its identity, its front matter as written, its approval and
 * its steps.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(String)}, or let the orchestrator read one
 * from a file with {@link PlanOrchestrator#parse(Path)}.
 */
public final class Plan {
    /** What kind of document the plan came from. */
    public enum Kind {
        /** A plan with a steps section. */
        PLAN,
        /** An approval request ({@code type: approval_request}): one action, from the front matter. */
        APPROVAL_REQUEST
    }

    private final String id;
    private final String taskId;
    private final String title;
    private final Kind kind;
    private final Path source;
    private final Map<String, Object> frontMatter;
    private final PlanStatus status;
    private final Approval approval;
    private final List<Step> steps;
    /** The steps by {@code id}, so that a reference is found without a scan. */
    private final Map<String, Step> byId;
    /**
     * {@link ApprovalSeal#hash}, once computed: a run checks it before every step. Racy single check,
     * as {@link String#hashCode}: every thread that computes it computes the same immutable string.
     */
    String sealHash;

    private Plan(Builder b) {
        this.id = b.id;
        this.taskId = b.taskId;
        this.title = b.title == null ? b.id : b.title;
        this.kind = b.kind;
        this.source = b.source;
        this.frontMatter = JsonValues.copyOf(b.frontMatter);
        this.status = b.status;
        this.approval = b.approval;
        this.steps = List.copyOf(b.steps);
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).number() != i + 1) {
                throw new IllegalArgumentException("steps must be numbered 1.." + steps.size() + " in order; found "
                        + steps.get(i).number() + " at position " + (i + 1));
            }
        }
        Map<String, Step> ids = new HashMap<>();
        for (Step step : steps) {
            step.id().ifPresent(id -> ids.putIfAbsent(id, step));
        }
        this.byId = ids;
    }

    /**
     * @param id the plan's id ({@code plan_id}, or the file name when the plan has none)
     * @throws NullPointerException if id is null
     * @throws IllegalArgumentException if id is blank
     */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    public Builder toBuilder() {
        Builder b = new Builder(id);
        b.taskId = taskId;
        b.title = title;
        b.kind = kind;
        b.source = source;
        b.frontMatter.putAll(frontMatter);
        b.status = status;
        b.approval = approval;
        b.steps.addAll(steps);
        return b;
    }

    public String id() {
        return id;
    }

    /** The {@code task_id} of the task the plan answers, if any. */
    public Optional<String> taskId() {
        return Optional.ofNullable(taskId);
    }

    /** The first heading, or the id when the plan has no heading. */
    public String title() {
        return title;
    }

    public Kind kind() {
        return kind;
    }

    /** The file the plan was read from, if it was read from one. */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /** A name for messages: the file name, or the id. */
    public String sourceName() {
        return source == null ? id : source.toString();
    }

    /**
     * The front matter (or bold header lines) as written; unmodifiable, deeply. Dates stay text.
     */
    public Map<String, Object> frontMatter() {
        return frontMatter;
    }

    /** The {@code status} as written, if it is one the orchestrator knows. */
    public Optional<PlanStatus> status() {
        return Optional.ofNullable(status);
    }

    public Approval approval() {
        return approval;
    }

    /** The steps in order, numbered from 1. */
    public List<Step> steps() {
        return steps;
    }

    /**
     * Finds a step by a {@code depends_on} reference: its id or, when no step has that id, its number.
     */
    public Optional<Step> step(String reference) {
        String ref = Objects.requireNonNull(reference, "reference").trim();
        Step byName = byId.get(ref);
        if (byName != null) {
            return Optional.of(byName);
        }
        int n = 0;
        for (int i = 0; i < ref.length() && i < 10; i++) {
            char c = ref.charAt(i);
            if (c < '0' || c > '9') {
                return Optional.empty();
            }
            n = n * 10 + (c - '0');
        }
        return !ref.isEmpty() && ref.length() < 10 && n >= 1 && n <= steps.size()
                ? Optional.of(steps.get(n - 1))
                : Optional.empty();
    }

    /**
     * What is wrong with a step's {@code depends_on} in any mode, if anything: a reference to no step of
     * this plan, or to the step itself.
     *
     * @return one sentence naming the step and the reference, or empty when every reference names
     *     another step of this plan
     */
    public Optional<String> dependencyProblem(Step step) {
        for (String ref : step.dependsOn()) {
            Optional<Step> target = step(ref);
            if (target.isEmpty()) {
                return Optional.of(step.label() + " depends on '" + ref + "', which is not a step of this plan");
            }
            if (target.get().number() == step.number()) {
                return Optional.of(step.label() + " depends on '" + ref + "', which is the step itself");
            }
        }
        return Optional.empty();
    }

    /**
     * A reference of a step's {@code depends_on} to a later step: a problem when the steps run in order
     * (one after another a step can only wait for earlier ones), an edge of the graph in parallel mode.
     *
     * @return one sentence naming the step and the reference, or empty
     */
    public Optional<String> laterDependency(Step step) {
        for (String ref : step.dependsOn()) {
            Optional<Step> target = step(ref);
            if (target.isPresent() && target.get().number() > step.number()) {
                return Optional.of(step.label() + " depends on '" + ref + "', which is the later "
                        + target.get().label() + "; steps run in order, so a step can only depend on an earlier"
                        + " one (or the plan says execution: parallel)");
            }
        }
        return Optional.empty();
    }

    /**
     * A cycle of {@code depends_on} among the steps, which no order can run: the steps on it, named.
     * References to no step are left to {@link #dependencyProblem}.
     */
    public Optional<String> dependencyCycle() {
        int[] state = new int[steps.size() + 1]; // 0 unseen, 1 on the path, 2 done
        int[] next = new int[steps.size() + 1];
        int[] parent = new int[steps.size() + 1];
        for (Step root : steps) {
            if (state[root.number()] != 0) {
                continue;
            }
            // depth first, without recursion: a plan may have thousands of steps
            int at = root.number();
            state[at] = 1;
            while (at != 0) {
                List<String> refs = steps.get(at - 1).dependsOn();
                if (next[at] < refs.size()) {
                    Optional<Step> target = step(refs.get(next[at]++));
                    if (target.isEmpty()) {
                        continue;
                    }
                    int to = target.get().number();
                    if (state[to] == 1) {
                        List<String> cycle = new ArrayList<>();
                        for (int n = at; n != to; n = parent[n]) {
                            cycle.add(0, steps.get(n - 1).label());
                        }
                        cycle.add(0, steps.get(to - 1).label());
                        return Optional.of("the steps depend on each other in a cycle: " + String.join(" -> ", cycle)
                                + " -> " + steps.get(to - 1).label());
                    }
                    if (state[to] == 0) {
                        state[to] = 1;
                        parent[to] = at;
                        at = to;
                    }
                } else {
                    state[at] = 2;
                    at = parent[at];
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Plan p
                && id.equals(p.id)
                && Objects.equals(taskId, p.taskId)
                && title.equals(p.title)
                && kind == p.kind
                && Objects.equals(source, p.source)
                && frontMatter.equals(p.frontMatter)
                && status == p.status
                && approval.equals(p.approval)
                && steps.equals(p.steps);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, taskId, title, kind, source, frontMatter, status, approval, steps);
    }

    @Override
    public String toString() {
        return "Plan{" + id + ", " + kind + ", status=" + status + ", " + steps.size() + " steps"
                + (source == null ? "" : ", " + source) + "}";
    }

    /** Builds a {@link Plan}. Not thread-safe. */
    public static final class Builder {
        private final String id;
        private String taskId;
        private String title;
        private Kind kind = Kind.PLAN;
        private Path source;
        private final Map<String, Object> frontMatter = new LinkedHashMap<>();
        private PlanStatus status;
        private Approval approval = Approval.none();
        private final ArrayList<Step> steps = new ArrayList<>();

        private Builder(String id) {
            Objects.requireNonNull(id, "id");
            if (id.isBlank()) {
                throw new IllegalArgumentException("plan id must not be blank");
            }
            this.id = id;
        }

        public Builder taskId(String taskId) {
            this.taskId = taskId;
            return this;
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder kind(Kind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        public Builder source(Path source) {
            this.source = source;
            return this;
        }

        public Builder frontMatter(Map<String, ?> frontMatter) {
            this.frontMatter.clear();
            this.frontMatter.putAll(frontMatter);
            return this;
        }

        public Builder status(PlanStatus status) {
            this.status = status;
            return this;
        }

        public Builder approval(Approval approval) {
            this.approval = Objects.requireNonNull(approval, "approval");
            return this;
        }

        /** Adds a step; steps must be added in order, numbered from 1. */
        public Builder step(Step step) {
            steps.add(Objects.requireNonNull(step, "step"));
            return this;
        }

        public Builder steps(List<Step> steps) {
            this.steps.clear();
            this.steps.ensureCapacity(steps.size());
            steps.forEach(this::step);
            return this;
        }

        /**
         * @throws IllegalArgumentException if the steps are not numbered 1..n in order
         */
        public Plan build() {
            return new Plan(this);
        }
    }
}
