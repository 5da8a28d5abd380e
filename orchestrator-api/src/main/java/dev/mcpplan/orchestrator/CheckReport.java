package dev.mcpplan.orchestrator;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The result of a dry run: plan-wide problems (approval) and what each step would do. Problems are
 * errors (the plan would not run) or warnings (it would, but a person should know, such as a step no
 * detector recognises); {@link #errors()} and {@link #warnings()} tell them apart.
 *
 * <p>Immutable and thread-safe.
 */
public final class CheckReport {
    private final Plan plan;
    private final List<Problem> planProblems;
    private final List<StepCheck> steps;

    /**
     * @param plan the plan checked
     * @param planProblems problems of the plan as a whole, such as an expired approval
     * @param steps one entry per step, in order
     */
    public CheckReport(Plan plan, List<Problem> planProblems, List<StepCheck> steps) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.planProblems = List.copyOf(planProblems);
        this.steps = List.copyOf(steps);
    }

    public Plan plan() {
        return plan;
    }

    public List<Problem> planProblems() {
        return planProblems;
    }

    public List<StepCheck> steps() {
        return steps;
    }

    /** Every problem, errors and warnings: the plan's first, then each step's, in step order. */
    public List<Problem> problems() {
        List<Problem> all = new ArrayList<>(planProblems);
        steps.forEach(s -> all.addAll(s.problems()));
        return List.copyOf(all);
    }

    /** The problems that would stop the plan. */
    public List<Problem> errors() {
        return problems().stream().filter(Problem::isError).toList();
    }

    /** The problems that would not stop the plan but that a person should know about. */
    public List<Problem> warnings() {
        return problems().stream().filter(p -> !p.isError()).toList();
    }

    /** Whether the plan would run: no error anywhere (warnings allowed). */
    public boolean ok() {
        return errors().isEmpty();
    }

    @Override
    public String toString() {
        return "CheckReport{" + plan.id() + ", ok=" + ok() + ", problems=" + problems() + "}";
    }
}
