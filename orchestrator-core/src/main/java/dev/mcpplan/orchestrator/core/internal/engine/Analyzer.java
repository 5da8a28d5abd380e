package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.ApprovalSeal;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.internal.config.ApprovalPolicy;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerConnection;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerPool;
import dev.mcpplan.orchestrator.core.internal.mcp.ToolInfo;
import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works out, for every step of a plan, the action, the route and the arguments, and finds every problem
 * that would stop the plan: approval, unknown action or server, a tool the server does not list,
 * arguments that do not match the tool's input schema. Runs nothing.
 *
 * <p>Thread-safe.
 */
final class Analyzer {
    private static final Logger LOG = LoggerFactory.getLogger(Analyzer.class);

    private final List<ActionDetector> detectors;
    private final List<ServerMapping> mappings;
    private final ServerPool servers;
    private final JsonSchemaValidator validator;
    private final ApprovalPolicy policy;
    private final Settings.InternalSteps internalSteps;
    private final ErrorClassifiers classifiers;
    private final Redactor redactor;
    private final Clock clock;

    Analyzer(
            List<ActionDetector> detectors,
            List<ServerMapping> mappings,
            ServerPool servers,
            JsonSchemaValidator validator,
            ApprovalPolicy policy,
            Settings.InternalSteps internalSteps,
            ErrorClassifiers classifiers,
            Redactor redactor,
            Clock clock) {
        this.policy = policy;
        this.classifiers = classifiers;
        this.redactor = redactor;
        this.internalSteps = internalSteps;
        this.detectors = List.copyOf(detectors);
        this.mappings = List.copyOf(mappings);
        this.servers = servers;
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * Problems of the approval as a whole: the same for a plan read from a file and one built in code.
     *
     * @param approvedByStore whether the store's own act of approval covers the plan (a vault plan moved
     *     into {@code Approved/} by a person), whatever its front matter status says
     */
    List<Problem> approvalProblems(Plan plan, boolean approvedByStore) {
        List<Problem> problems = standingProblems(plan, approvedByStore);
        problems.addAll(bindingProblems(plan));
        return problems;
    }

    /**
     * The approval's problems apart from its binding to the steps (hash and signature): what is checked
     * again before each step of a plan that has not changed, the clock having moved on.
     */
    List<Problem> standingProblems(Plan plan, boolean approvedByStore) {
        List<Problem> problems = new ArrayList<>();
        Approval approval = plan.approval();
        Instant now = clock.instant();
        if (!approvedByStore && plan.status().orElse(null) != PlanStatus.APPROVED) {
            problems.add(new Problem(
                    Problem.Code.NOT_APPROVED,
                    "the plan's status is "
                            + plan.status().map(PlanStatus::wireName).orElse("missing") + ", not approved"));
        }
        String risk = approval.riskLevel().map(r -> r + " risk plans").orElse("plans without a risk_level");
        if (approval.approvedBy().isEmpty() && policy.approverRequired(approval.riskLevel())) {
            problems.add(new Problem(Problem.Code.NOT_APPROVED, "approved_by is required for " + risk));
        }
        approval.approvedAt()
                .filter(at -> at.isAfter(now.plus(ApprovalPolicy.CLOCK_SKEW)))
                .ifPresent(at -> problems.add(new Problem(
                        Problem.Code.NOT_APPROVED,
                        "approved_at " + at + " is in the future (now " + now + ", clock skew allowed "
                                + ApprovalPolicy.CLOCK_SKEW + ")")));
        if (approval.isExpiredAt(now)) {
            problems.add(new Problem(
                    Problem.Code.APPROVAL_EXPIRED,
                    "the approval expired at " + approval.expiresAt().orElseThrow()));
        }
        policy.maxAgeLimit().ifPresent(maxAge -> {
            if (approval.approvedAt().isEmpty()) {
                problems.add(new Problem(
                        Problem.Code.APPROVAL_EXPIRED,
                        "the approval has no approved_at, so its age" + " cannot be held to the maximum of " + maxAge));
            } else if (now.isAfter(approval.approvedAt().get().plus(maxAge))) {
                problems.add(new Problem(
                        Problem.Code.APPROVAL_EXPIRED,
                        "the approval of " + approval.approvedAt().get() + " is older than the maximum age of "
                                + maxAge));
            }
        });
        if (approval.approvedActions().isEmpty() && policy.listingRequired(approval.riskLevel())) {
            problems.add(new Problem(Problem.Code.ACTION_NOT_APPROVED, "approved_actions must be listed for " + risk));
        }
        return problems;
    }

    /**
     * Whether the approval is bound to what it allows: hash and, with a signing key, signature, both of
     * the current form.
     */
    private List<Problem> bindingProblems(Plan plan) {
        Approval approval = plan.approval();
        Optional<byte[]> key = policy.key();
        if (key.isEmpty() && approval.signature().isPresent()) {
            return mismatch("the plan carries an approval_signature, but no signing key is configured to verify"
                    + " it; configure approval.signingKey");
        }
        if (approval.approvalHash().isEmpty()) {
            return policy.requireHash() || key.isPresent()
                    ? mismatch("the approval has no approval_hash, so it is"
                            + " not bound to the steps; approve the plan with a tool that seals it")
                    : List.of();
        }
        if (!ApprovalSeal.isCurrent(approval.approvalHash().get())
                || approval.signature().filter(s -> !ApprovalSeal.isCurrent(s)).isPresent()) {
            return mismatch("the approval was sealed in an older form (mcp-plan-approval/v1) that does not cover"
                    + " approved_actions, risk_level, plan_id, task_id or the plan type; approve the plan again so"
                    + " that it is sealed as " + ApprovalSeal.VERSION);
        }
        String actual = ApprovalSeal.hash(plan);
        if (!approval.approvalHash().get().equals(actual)) {
            return mismatch("the plan changed after approval (its steps, approved_actions, risk_level, plan_id,"
                    + " task_id, approver, times or type): it hashes to " + actual + ", the approval_hash is "
                    + approval.approvalHash().get());
        }
        if (key.isPresent()) {
            if (approval.signature().isEmpty()) {
                return mismatch("the approval has no approval_signature" + " and a signing key is configured");
            }
            if (!ApprovalSeal.verify(key.get(), plan)) {
                return mismatch("the approval_signature does not verify: the plan differs from what was signed,"
                        + " or it was not signed with the configured key");
            }
        }
        return List.of();
    }

    private static List<Problem> mismatch(String message) {
        return List.of(new Problem(Problem.Code.APPROVAL_MISMATCH, message));
    }

    /**
     * @param connect whether to start servers to read their tool lists and schemas
     * @param parallel whether the steps run as the graph of their {@code depends_on}, where a reference
     *     to a later step is an edge; one after another it is a problem
     */
    List<StepPlan> steps(Plan plan, boolean connect, boolean parallel) {
        List<StepPlan> result = new ArrayList<>();
        for (Step step : plan.steps()) {
            StepPlan analysed = step(plan, step, connect);
            // the parser refuses a reference to no step; a plan built in code is held to the same rule here
            Optional<String> dependency = plan.dependencyProblem(step);
            if (dependency.isEmpty() && !parallel) {
                dependency = plan.laterDependency(step)
                        .map(problem -> plan.source().isPresent()
                                ? plan.sourceName() + ":" + step.line() + ": " + problem
                                : problem);
            }
            if (dependency.isPresent()) {
                List<Problem> problems = new ArrayList<>(analysed.problems());
                problems.add(new Problem(Problem.Code.PLAN, dependency.get()));
                analysed = new StepPlan(
                        step, analysed.detector(), analysed.action(), analysed.route(), analysed.arguments(), problems);
            }
            result.add(analysed);
        }
        return result;
    }

    private StepPlan step(Plan plan, Step step, boolean connect) {
        DetectionContext context = DetectionContext.of(plan, step);
        for (ActionDetector detector : detectors) {
            Optional<DetectedAction> found;
            try {
                found = detector.detect(context);
            } catch (RuntimeException e) {
                LOG.warn(
                        "detector '{}' failed on {} of {}; skipped: {}",
                        detector.id(),
                        step.label(),
                        plan.sourceName(),
                        redactor.redact(e));
                continue;
            }
            if (found.isPresent()) {
                return routed(plan, step, detector.id(), found.get(), connect);
            }
        }
        return new StepPlan(step, Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), internal(step));
    }

    /** The problem an unchecked internal step is, as the {@code internalSteps} setting says. */
    private List<Problem> internal(Step step) {
        if (step.checked() || internalSteps == Settings.InternalSteps.SKIP) {
            return List.of();
        }
        String message = step.label() + " (\"" + shortened(step.text())
                + "\"): no detector recognises it, so it is an internal step and is not run; if it should run, name"
                + " its action with 'action:', or check that the plugin for it is on the class path (its"
                + " META-INF/services file spelt right) and that the orchestrator is built with discoverPlugins";
        return List.of(
                internalSteps == Settings.InternalSteps.FAIL
                        ? new Problem(Problem.Code.INTERNAL_STEP, message + " (internalSteps is \"fail\")")
                        : Problem.warning(Problem.Code.INTERNAL_STEP, message));
    }

    private static String shortened(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= 60 ? line : line.substring(0, 59) + "…";
    }

    /**
     * Actions the plan's {@code approved_actions} lists that no step resolves to: the approver expected
     * something that will not happen, which is what a missing plugin or a mistyped action looks like.
     */
    List<Problem> coverageProblems(Plan plan, List<StepPlan> steps) {
        Optional<Set<String>> listed = plan.approval().approvedActions();
        if (listed.isEmpty()) {
            return List.of();
        }
        Set<String> resolved = new java.util.TreeSet<>();
        steps.forEach(s -> s.action().ifPresent(a -> resolved.add(a.type())));
        List<Problem> problems = new ArrayList<>();
        for (String action : listed.get()) {
            if (!resolved.contains(action)) {
                problems.add(new Problem(
                        Problem.Code.UNUSED_APPROVED_ACTION,
                        "approved_actions lists '" + action + "', but no step resolves to it (the steps resolve to "
                                + resolved + "); the plugin that detects it may be missing, or the list is wrong"));
            }
        }
        return problems;
    }

    private StepPlan routed(Plan plan, Step step, String detector, DetectedAction action, boolean connect) {
        List<Problem> problems = new ArrayList<>();
        String where = step.label() + " (" + action.type() + ")";
        Optional<Set<String>> listed = plan.approval().approvedActions();
        if (listed.isPresent() && !listed.get().contains(action.type())) {
            problems.add(new Problem(
                    Problem.Code.ACTION_NOT_APPROVED,
                    where + ": '" + action.type() + "' is not among the approved actions " + listed.get()));
        } else if (listed.isEmpty() && policy.alwaysListed().contains(action.type())) {
            problems.add(new Problem(
                    Problem.Code.ACTION_NOT_APPROVED,
                    where + ": '" + action.type() + "' runs only when the plan lists it in approved_actions"));
        }
        Optional<Route> route = route(action.type());
        if (route.isEmpty()) {
            problems.add(new Problem(
                    Problem.Code.UNKNOWN_ACTION,
                    where + ": no server mapping knows the action '" + action.type()
                            + "'; add it to the actions table"));
            return new StepPlan(step, Optional.of(detector), Optional.of(action), route, action.parameters(), problems);
        }
        Map<String, Object> arguments = route.get().arguments(action.parameters());
        if (!step.checked()) {
            ServerCheck checked = serverProblems(where, route.get(), arguments, connect);
            problems.addAll(checked.problems());
            arguments = checked.arguments();
        }
        return new StepPlan(step, Optional.of(detector), Optional.of(action), route, arguments, problems);
    }

    private Optional<Route> route(String actionType) {
        for (ServerMapping mapping : mappings) {
            try {
                Optional<Route> route = mapping.route(actionType);
                if (route.isPresent()) {
                    return route;
                }
            } catch (RuntimeException e) {
                LOG.warn(
                        "server mapping '{}' failed for '{}'; skipped: {}",
                        mapping.id(),
                        actionType,
                        redactor.redact(e));
            }
        }
        return Optional.empty();
    }

    /** The problems found at the server, and the arguments as its tool's schema types them. */
    private record ServerCheck(List<Problem> problems, Map<String, Object> arguments) {}

    /**
     * Checks the route's servers: each must be configured with a transport, and at least one must have
     * the tool (started when {@code connect}); the first that has it types the arguments by its schema.
     */
    private ServerCheck serverProblems(String where, Route route, Map<String, Object> arguments, boolean connect) {
        List<Problem> configured = route.servers().stream()
                .flatMap(server -> configurationProblems(where, server).stream())
                .toList();
        if (!configured.isEmpty()) {
            return new ServerCheck(configured, arguments);
        }
        String usable = null;
        List<Problem> firstProblems = List.of();
        for (String server : route.servers()) {
            List<Problem> problems = reachProblems(where, server, route.tool(), connect);
            if (problems.isEmpty()) {
                usable = server;
                break;
            }
            firstProblems = firstProblems.isEmpty() ? problems : firstProblems;
        }
        if (usable == null) {
            return new ServerCheck(firstProblems, arguments);
        }
        ToolInfo tool = servers.connection(usable).knownTools().get(route.tool());
        if (tool == null) {
            return new ServerCheck(List.of(), arguments);
        }
        SchemaTypes.Typed typed = SchemaTypes.coerce(tool.inputSchema(), arguments, route.parameterNames());
        if (!typed.misfits().isEmpty()) {
            String at = usable;
            return new ServerCheck(
                    typed.misfits().stream()
                            .map(m -> new Problem(
                                    Problem.Code.INVALID_PARAMETER,
                                    where + ": for " + at + "/" + route.tool() + ", " + m))
                            .toList(),
                    typed.arguments());
        }
        return new ServerCheck(schemaProblems(where, usable, route, tool, typed.arguments()), typed.arguments());
    }

    private List<Problem> configurationProblems(String where, String name) {
        Optional<ServerDefinition> server = servers.definition(name);
        if (server.isEmpty()) {
            return List.of(new Problem(
                    Problem.Code.UNKNOWN_SERVER,
                    where + ": the server '" + name + "' is not configured in mcpServers"));
        }
        if (!servers.hasTransport(server.get())) {
            return List.of(new Problem(
                    Problem.Code.NO_TRANSPORT,
                    where + ": no transport provider serves type '"
                            + server.get().type() + "' of server '" + name + "' (available: "
                            + servers.transportTypes() + ")"));
        }
        return List.of();
    }

    private List<Problem> reachProblems(String where, String name, String toolName, boolean connect) {
        Map<String, ToolInfo> tools;
        ServerConnection connection = servers.connection(name);
        if (connect) {
            try {
                tools = connection.tools();
            } catch (RuntimeException e) {
                if (classifiers.cannotStart(name, e)) {
                    return List.of(new Problem(
                            Problem.Code.SERVER_CANNOT_START,
                            where + ": the server '" + name + "' cannot start as configured (in "
                                    + connection.definition().origin() + "): "
                                    + ErrorClassifiers.messageOf(e)));
                }
                return List.of(new Problem(
                        Problem.Code.SERVER_UNAVAILABLE,
                        where + ": the server '" + name + "' could not be started: " + ErrorClassifiers.messageOf(e)));
            }
        } else {
            tools = connection.knownTools();
            if (tools.isEmpty()) {
                return List.of();
            }
        }
        if (!tools.containsKey(toolName)) {
            return List.of(new Problem(
                    Problem.Code.UNKNOWN_TOOL,
                    where + ": the server '" + name + "' has no tool '" + toolName + "' (it has " + tools.keySet()
                            + ")"));
        }
        return List.of();
    }

    /** For a message that names the tool's parameters: which step parameters they were. */
    private static String renamed(Route route) {
        if (route.parameterNames().isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(" (the step's parameters are passed renamed:");
        route.parameterNames()
                .forEach((step, tool) -> b.append(" '")
                        .append(step)
                        .append("' as '")
                        .append(tool)
                        .append("'"));
        return b.append(")").toString();
    }

    private List<Problem> schemaProblems(
            String where, String server, Route route, ToolInfo tool, Map<String, Object> arguments) {
        if (tool.inputSchema().isEmpty()) {
            return List.of();
        }
        List<Problem> problems = new ArrayList<>();
        Object required = tool.inputSchema().get("required");
        if (required instanceof Collection<?> names) {
            for (Object name : names) {
                if (!arguments.containsKey(String.valueOf(name))) {
                    problems.add(new Problem(
                            Problem.Code.MISSING_PARAMETER,
                            where + ": the tool " + route + " requires the parameter '" + name + "'"));
                }
            }
        }
        if (problems.isEmpty()) {
            JsonSchemaValidator.ValidationResponse response = validator.validate(tool.inputSchema(), arguments);
            if (!response.valid()) {
                problems.add(new Problem(
                        Problem.Code.INVALID_PARAMETER,
                        where + ": the parameters do not match the" + " input schema of " + server + "/"
                                + route.tool() + ": " + response.errorMessage()
                                + renamed(route)));
            }
        }
        return problems;
    }
}
