package dev.mcpplan.orchestrator.core.internal.config;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads configuration files: {@code mcpServers} in Claude Desktop's format, as is, and the orchestrator
 * settings under an {@code orchestrator} key (in the same file or a file of their own). Later files
 * add to and override earlier ones.
 *
 * <p>Not thread-safe: use one loader per build.
 */
public final class ConfigLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
    /** Messages about a configuration may quote it: the token shapes are masked before they leave. */
    private static final Redactor REDACTOR = Redactor.defaults();

    private static final Set<String> SERVER_KEYS =
            Set.of("command", "args", "env", "cwd", "type", "url", "headers", "disabled", "timeout");
    private static final Set<String> SETTINGS_KEYS = Set.of(
            "actions",
            "phrases",
            "replaceDefaultPhrases",
            "replaceDefaultActions",
            "timeout",
            "retries",
            "backoff",
            "healthInterval",
            "startTimeout",
            "servers",
            "redactKeys",
            "redactPatterns",
            "approval",
            "circuitBreaker",
            "internalSteps",
            "maxReschedules",
            "rescheduleFor",
            "vault",
            "maxCallTime",
            "inheritEnv",
            "execution",
            "maxParallelSteps",
            "maxConcurrentSteps",
            "maxConcurrentPlans");
    private static final Set<String> SERVER_SETTINGS_KEYS =
            Set.of("timeout", "rateLimit", "maxConcurrent", "instances", "inheritEnv");
    private static final Set<String> ACTION_KEYS = Set.of("server", "tool", "parameters", "idempotent");
    private static final Set<String> APPROVAL_KEYS = Set.of(
            "signingKey", "requireHash", "maxAge", "requireApproverFor", "requireListedActionsFor", "alwaysListed");

    private final JsonMapper json = JsonMapper.builder().build();
    private final EnvironmentExpander expander;
    private final Map<String, ServerDefinition> servers = new LinkedHashMap<>();
    /** The longest duration any setting accepts: longer ones are typing errors, and overflow in arithmetic. */
    private static final Duration LONGEST = Duration.ofDays(365);
    /** The most retries a setting accepts: beyond this a step would wait for days. */
    private static final int MOST_RETRIES = 100;

    private final Map<String, Route> actions = new LinkedHashMap<>();
    private final Map<String, String> phrases = new LinkedHashMap<>();
    private final Map<String, Route> defaultActions = new LinkedHashMap<>(Settings.seedActions());
    private final Map<String, String> defaultPhrases = new LinkedHashMap<>(Settings.seedPhrases());
    private final Map<String, Duration> serverTimeouts = new LinkedHashMap<>();
    private final List<String> redactKeys = new ArrayList<>();
    private final List<Pattern> redactPatterns = new ArrayList<>();
    private Duration requestTimeout;
    private int retries;
    private Duration backoff;
    private Duration healthInterval;
    private Duration startTimeout;
    private ApprovalPolicy approval = ApprovalPolicy.none();
    private int circuitFailures;
    private Duration circuitDelay;
    private final Map<String, ServerLimits> serverLimits = new LinkedHashMap<>();
    private Settings.InternalSteps internalSteps;
    private int maxReschedules;
    private Duration rescheduleFor;
    private Duration vaultSettle;
    private Duration maxCallTime;
    private List<String> inheritEnv = Settings.defaults().inheritEnv();
    private final Map<String, List<String>> serverInheritEnv = new LinkedHashMap<>();
    private StepExecution stepExecution = StepExecution.defaults();

    public ConfigLoader(Map<String, String> environment) {
        this.expander = new EnvironmentExpander(environment);
        Settings defaults = Settings.defaults();
        this.requestTimeout = defaults.requestTimeout();
        this.retries = defaults.retries();
        this.backoff = defaults.backoff();
        this.healthInterval = defaults.healthInterval();
        this.startTimeout = defaults.startTimeout();
        this.circuitFailures = defaults.circuitFailures();
        this.circuitDelay = defaults.circuitDelay();
        this.internalSteps = defaults.internalSteps();
        this.maxReschedules = defaults.maxReschedules();
        this.rescheduleFor = defaults.rescheduleFor();
        this.vaultSettle = defaults.vaultSettle();
    }

    /**
     * Reads one file: {@code mcpServers} and/or {@code orchestrator}; a file with neither key is read as
     * bare settings.
     *
     * @throws ConfigurationException naming the file and the problem
     */
    public ConfigLoader load(Path file) {
        String name = file.toString();
        JsonNode root;
        try {
            root = json.readTree(Files.readAllBytes(file));
        } catch (java.io.IOException e) {
            throw new ConfigurationException(
                    name + ": cannot read the file: " + REDACTOR.redact(String.valueOf(e.getMessage())), e);
        } catch (JacksonException e) {
            throw new ConfigurationException(name + ": not valid JSON: " + REDACTOR.redact(e.getOriginalMessage())
                    + (e.getLocation() == null
                            ? ""
                            : " (line " + e.getLocation().getLineNr() + ")"));
            // no cause: the parser's own message may quote the text, secrets and all
        }
        if (root == null || !root.isObject()) {
            throw new ConfigurationException(name + ": the file must hold a JSON object");
        }
        try {
            if (root.has("mcpServers") || root.has("orchestrator")) {
                if (root.has("mcpServers")) {
                    readServers(file, object(root.get("mcpServers"), "mcpServers"));
                }
                if (root.has("orchestrator")) {
                    readSettings(object(root.get("orchestrator"), "orchestrator"));
                }
            } else {
                readSettings(root);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(name + ": " + REDACTOR.redact(String.valueOf(e.getMessage())), e);
        }
        return this;
    }

    /** Adds a server defined in code; it replaces a configured server of the same name. */
    public ConfigLoader server(ServerDefinition server) {
        servers.put(server.name(), server);
        return this;
    }

    public Configuration build() {
        Map<String, ServerDefinition> resolved = new LinkedHashMap<>();
        servers.forEach((name, server) -> resolved.put(
                name,
                serverTimeouts.containsKey(name)
                        ? server.toBuilder()
                                .requestTimeout(serverTimeouts.get(name))
                                .build()
                        : server));
        return new Configuration(
                resolved,
                new Settings(
                        actions,
                        phrases,
                        requestTimeout,
                        serverTimeouts,
                        retries,
                        backoff,
                        healthInterval,
                        startTimeout,
                        redactKeys,
                        redactPatterns,
                        approval,
                        circuitFailures,
                        circuitDelay,
                        serverLimits,
                        defaultActions,
                        defaultPhrases,
                        internalSteps,
                        maxReschedules,
                        rescheduleFor,
                        vaultSettle,
                        maxCallTime,
                        inheritEnv,
                        serverInheritEnv,
                        stepExecution));
    }

    private void readServers(Path configFile, JsonNode node) {
        String file = configFile.toString();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String name = entry.getKey();
            String where = "server '" + name + "'";
            JsonNode s = object(entry.getValue(), where);
            for (String key : s.propertyNames()) {
                if (!SERVER_KEYS.contains(key)) {
                    LOG.warn("{}: {} has an unknown key '{}'; ignored", file, where, key);
                }
            }
            if (s.path("disabled").asBoolean(false)) {
                servers.remove(name);
                continue;
            }
            String type = s.has("type")
                    ? normaliseType(text(s.get("type"), where + " type"))
                    : s.has("url") ? ServerDefinition.HTTP : ServerDefinition.STDIO;
            if (type.equals("sse")) {
                throw new IllegalArgumentException(
                        where + " has type 'sse', the deprecated HTTP+SSE transport, which"
                                + " the orchestrator does not serve; a server that speaks Streamable HTTP takes \"type\": \"http\"");
            }
            ServerDefinition.Builder b = ServerDefinition.builder(name, type).origin(file);
            if (s.has("command")) {
                b.command(expander.expand(text(s.get("command"), where + " command"), where + " command"));
            }
            if (s.has("args")) {
                List<String> args = new ArrayList<>();
                for (JsonNode arg : array(s.get("args"), where + " args")) {
                    args.add(expander.expand(scalar(arg, where + " args"), where + " args"));
                }
                b.args(args);
            }
            b.env(stringMap(s.get("env"), where + " env"));
            b.headers(stringMap(s.get("headers"), where + " headers"));
            if (s.has("url")) {
                b.url(expander.expand(text(s.get("url"), where + " url"), where + " url"));
            }
            if (s.has("cwd")) {
                // relative to the configuration file, so that the file works from any working directory
                Path folder = configFile.toAbsolutePath().getParent();
                b.workingDirectory(folder.resolve(expander.expand(text(s.get("cwd"), where + " cwd"), where + " cwd"))
                        .normalize());
            }
            if (s.has("timeout")) {
                b.requestTimeout(duration(s.get("timeout"), where + " timeout"));
            }
            servers.put(name, b.build());
        }
    }

    private static String normaliseType(String type) {
        String t = type.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "streamable-http", "streamablehttp", "streamable_http" -> ServerDefinition.HTTP;
            default -> t;
        };
    }

    private Map<String, String> stringMap(JsonNode node, String where) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return map;
        }
        for (Map.Entry<String, JsonNode> e : object(node, where).properties()) {
            String at = where + " " + e.getKey();
            map.put(e.getKey(), expander.expand(scalar(e.getValue(), at), at));
        }
        return map;
    }

    private void readSettings(JsonNode node) {
        for (String key : node.propertyNames()) {
            if (!SETTINGS_KEYS.contains(key)) {
                throw new IllegalArgumentException("orchestrator settings have an unknown key '" + key + "' (known: "
                        + new java.util.TreeSet<>(SETTINGS_KEYS) + ")");
            }
        }
        if (node.path("replaceDefaultActions").asBoolean(false)) {
            defaultActions.clear();
        }
        if (node.path("replaceDefaultPhrases").asBoolean(false)) {
            defaultPhrases.clear();
        }
        if (node.has("actions")) {
            for (Map.Entry<String, JsonNode> e :
                    object(node.get("actions"), "actions").properties()) {
                actions.put(e.getKey(), readRoute(e.getKey(), e.getValue()));
            }
        }
        if (node.has("phrases")) {
            Map<String, String> added = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e :
                    object(node.get("phrases"), "phrases").properties()) {
                added.put(
                        e.getKey().trim().toLowerCase(Locale.ROOT), text(e.getValue(), "phrase '" + e.getKey() + "'"));
            }
            // a later file's phrases are tried before an earlier file's
            added.putAll(phrases);
            phrases.clear();
            phrases.putAll(added);
        }
        if (node.has("timeout")) {
            requestTimeout = duration(node.get("timeout"), "timeout");
        }
        if (node.has("retries")) {
            retries = wholeNumber(node.get("retries"), "retries", 0, MOST_RETRIES);
        }
        if (node.has("backoff")) {
            backoff = duration(node.get("backoff"), "backoff");
        }
        if (node.has("healthInterval")) {
            healthInterval = duration(node.get("healthInterval"), "healthInterval");
        }
        if (node.has("startTimeout")) {
            startTimeout = duration(node.get("startTimeout"), "startTimeout");
        }
        if (node.has("internalSteps")) {
            String value = text(node.get("internalSteps"), "internalSteps");
            try {
                internalSteps = Settings.InternalSteps.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "internalSteps must be \"skip\", \"warn\" or \"fail\", not '" + value + "'", e);
            }
        }
        if (node.has("execution")) {
            String value = text(node.get("execution"), "execution");
            stepExecution = new StepExecution(
                    StepExecution.parallel(value)
                            .orElseThrow(() -> new IllegalArgumentException(
                                    "execution must be \"parallel\" or \"sequential\", not '" + value + "'")),
                    stepExecution.perPlan(),
                    stepExecution.overall(),
                    stepExecution.plans());
        }
        if (node.has("maxParallelSteps")) {
            stepExecution = new StepExecution(
                    stepExecution.parallel(),
                    wholeNumber(node.get("maxParallelSteps"), "maxParallelSteps", 1, 1024),
                    stepExecution.overall(),
                    stepExecution.plans());
        }
        if (node.has("maxConcurrentSteps")) {
            stepExecution = new StepExecution(
                    stepExecution.parallel(),
                    stepExecution.perPlan(),
                    wholeNumber(node.get("maxConcurrentSteps"), "maxConcurrentSteps", 1, 4096),
                    stepExecution.plans());
        }
        if (node.has("maxConcurrentPlans")) {
            stepExecution = new StepExecution(
                    stepExecution.parallel(),
                    stepExecution.perPlan(),
                    stepExecution.overall(),
                    wholeNumber(node.get("maxConcurrentPlans"), "maxConcurrentPlans", 1, 1024));
        }
        if (node.has("maxReschedules")) {
            maxReschedules = wholeNumber(node.get("maxReschedules"), "maxReschedules", 0, Integer.MAX_VALUE);
        }
        if (node.has("rescheduleFor")) {
            rescheduleFor = duration(node.get("rescheduleFor"), "rescheduleFor");
        }
        if (node.has("servers")) {
            for (Map.Entry<String, JsonNode> e :
                    object(node.get("servers"), "servers").properties()) {
                String where = "servers." + e.getKey();
                JsonNode server = object(e.getValue(), where);
                for (String key : server.propertyNames()) {
                    if (!SERVER_SETTINGS_KEYS.contains(key)) {
                        throw new IllegalArgumentException(where + " has an unknown key '" + key + "' (known: "
                                + new java.util.TreeSet<>(SERVER_SETTINGS_KEYS) + ")");
                    }
                }
                if (server.has("inheritEnv")) {
                    serverInheritEnv.put(e.getKey(), names(server.get("inheritEnv"), where + ".inheritEnv"));
                }
                JsonNode timeout = server.get("timeout");
                if (timeout != null) {
                    serverTimeouts.put(e.getKey(), duration(timeout, where + ".timeout"));
                }
                int maxConcurrent = 0;
                if (server.has("maxConcurrent")) {
                    maxConcurrent =
                            wholeNumber(server.get("maxConcurrent"), where + ".maxConcurrent", 1, Integer.MAX_VALUE);
                }
                int instances = 1;
                if (server.has("instances")) {
                    instances =
                            wholeNumber(server.get("instances"), where + ".instances", 1, ServerLimits.MOST_INSTANCES);
                }
                if (server.has("rateLimit")) {
                    String rate = text(server.get("rateLimit"), where + ".rateLimit");
                    ServerLimits limits;
                    try {
                        limits = ServerLimits.withRate(rate, maxConcurrent, instances);
                    } catch (IllegalArgumentException problem) {
                        throw new IllegalArgumentException(where + ".rateLimit: " + problem.getMessage(), problem);
                    }
                    within(limits.ratePeriod(), where + ".rateLimit period");
                    serverLimits.put(e.getKey(), limits);
                } else if (maxConcurrent > 0 || instances > 1) {
                    serverLimits.put(e.getKey(), new ServerLimits(null, null, maxConcurrent, instances));
                }
            }
        }
        if (node.has("maxCallTime")) {
            maxCallTime = duration(node.get("maxCallTime"), "maxCallTime");
        }
        if (node.has("inheritEnv")) {
            inheritEnv = names(node.get("inheritEnv"), "inheritEnv");
        }
        if (node.has("circuitBreaker")) {
            JsonNode breaker = object(node.get("circuitBreaker"), "circuitBreaker");
            if (breaker.has("failures")) {
                circuitFailures = wholeNumber(breaker.get("failures"), "circuitBreaker.failures", 1, Integer.MAX_VALUE);
            }
            if (breaker.has("delay")) {
                circuitDelay = duration(breaker.get("delay"), "circuitBreaker.delay");
            }
        }
        if (node.has("vault")) {
            JsonNode vault = object(node.get("vault"), "vault");
            for (String key : vault.propertyNames()) {
                if (!key.equals("settle")) {
                    throw new IllegalArgumentException("vault has an unknown key '" + key + "' (known: [settle])");
                }
            }
            if (vault.has("settle")) {
                Duration settle;
                try {
                    settle = Durations.parse(scalar(vault.get("settle"), "vault.settle"));
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new IllegalArgumentException("vault.settle: " + e.getMessage(), e);
                }
                // zero takes files at once; an hour is far past any writer's pause
                if (settle.isNegative() || settle.compareTo(Duration.ofHours(1)) > 0) {
                    throw new IllegalArgumentException("vault.settle must be from 0s to 1h, not " + settle);
                }
                vaultSettle = settle;
            }
        }
        if (node.has("approval")) {
            approval = readApproval(object(node.get("approval"), "approval"));
        }
        if (node.has("redactPatterns")) {
            for (JsonNode pattern : array(node.get("redactPatterns"), "redactPatterns")) {
                String regex = text(pattern, "redactPatterns");
                try {
                    redactPatterns.add(Pattern.compile(regex));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException(
                            "redactPatterns: '" + regex + "' is not a regular expression: " + e.getDescription(), e);
                }
            }
        }
        if (node.has("redactKeys")) {
            for (JsonNode key : array(node.get("redactKeys"), "redactKeys")) {
                redactKeys.add(text(key, "redactKeys"));
            }
        }
    }

    private ApprovalPolicy readApproval(JsonNode node) {
        for (String key : node.propertyNames()) {
            if (!APPROVAL_KEYS.contains(key)) {
                throw new IllegalArgumentException("approval has an unknown key '" + key + "' (known: "
                        + new java.util.TreeSet<>(APPROVAL_KEYS) + ")");
            }
        }
        String key = node.has("signingKey")
                ? expander.expand(text(node.get("signingKey"), "approval signingKey"), "approval signingKey")
                : null;
        if (node.has("requireHash") && !node.get("requireHash").isBoolean()) {
            throw new IllegalArgumentException("approval requireHash must be true or false");
        }
        Duration maxAge = node.has("maxAge") ? duration(node.get("maxAge"), "approval maxAge") : null;
        return new ApprovalPolicy(
                key,
                node.path("requireHash").asBoolean(false),
                maxAge,
                lowerCaseSet(node.get("requireApproverFor"), "approval requireApproverFor"),
                lowerCaseSet(node.get("requireListedActionsFor"), "approval requireListedActionsFor"),
                textSet(node.get("alwaysListed"), "approval alwaysListed"));
    }

    /** Environment variable names, each a name or a prefix ending in {@code *}. */
    private static List<String> names(JsonNode node, String where) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : array(node, where)) {
            String name = text(v, where);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*\\*?|\\*")) {
                throw new IllegalArgumentException(where + ": '" + name
                        + "' is not an environment variable name (letters, digits and _, optionally ending in *)");
            }
            out.add(name);
        }
        return out;
    }

    /** A server's name, or a list of them (the action is served by any of them). */
    private static List<String> serverNames(JsonNode node, String where) {
        if (!node.isArray()) {
            return List.of(text(node, where));
        }
        Set<String> out = textSet(node, where);
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + ": the list names no server");
        }
        if (out.size() < node.size()) {
            throw new IllegalArgumentException(where + ": the list names a server twice");
        }
        return List.copyOf(out);
    }

    private static Set<String> lowerCaseSet(JsonNode node, String where) {
        Set<String> out = new LinkedHashSet<>();
        textSet(node, where).forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
        return out;
    }

    private static Set<String> textSet(JsonNode node, String where) {
        Set<String> out = new LinkedHashSet<>();
        if (node != null) {
            for (JsonNode v : array(node, where)) {
                out.add(text(v, where));
            }
        }
        return out;
    }

    private Route readRoute(String action, JsonNode node) {
        String where = "action '" + action + "'";
        if (node.isString()) {
            return Route.to(node.stringValue(), action);
        }
        JsonNode a = object(node, where);
        for (String key : a.propertyNames()) {
            if (!ACTION_KEYS.contains(key)) {
                throw new IllegalArgumentException(where + " has an unknown key '" + key + "' (known: "
                        + new java.util.TreeSet<>(ACTION_KEYS) + ")");
            }
        }
        if (!a.has("server")) {
            throw new IllegalArgumentException(where + " names no server");
        }
        Route route = Route.toAny(
                serverNames(a.get("server"), where + " server"),
                a.has("tool") ? text(a.get("tool"), where + " tool") : action);
        if (a.has("parameters")) {
            Map<String, String> names = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e :
                    object(a.get("parameters"), where + " parameters").properties()) {
                names.put(e.getKey(), text(e.getValue(), where + " parameter " + e.getKey()));
            }
            route = route.withParameterNames(names);
        }
        if (a.has("idempotent")) {
            if (!a.get("idempotent").isBoolean()) {
                throw new IllegalArgumentException(where + " idempotent must be true or false");
            }
            route = route.withIdempotent(a.get("idempotent").booleanValue());
        }
        return route;
    }

    /** A duration setting: positive and at most {@link #LONGEST}. */
    private static Duration duration(JsonNode node, String where) {
        String text = scalar(node, where);
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return within(d, where);
    }

    private static Duration within(Duration d, String where) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(where + " must be positive, not " + d);
        }
        if (d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException(where + " must be at most 365d, not " + d);
        }
        return d;
    }

    /** A whole-number setting between {@code min} and {@code max}. */
    private static int wholeNumber(JsonNode node, String where, int min, int max) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new IllegalArgumentException(
                    where + " must be a whole number from " + min + " to " + max + ", not " + node);
        }
        int value = node.intValue();
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    where + " must be a whole number from " + min + " to " + max + ", not " + value);
        }
        return value;
    }

    private static JsonNode object(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object");
        }
        return node;
    }

    private static Iterable<JsonNode> array(JsonNode node, String where) {
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException(where + " must be a JSON array");
        }
        return node.values();
    }

    private static String text(JsonNode node, String where) {
        if (node == null || !node.isString() || node.stringValue().isBlank()) {
            throw new IllegalArgumentException(where + " must be a non-empty string");
        }
        return node.stringValue();
    }

    private static String scalar(JsonNode node, String where) {
        if (node == null || !(node.isString() || node.isNumber() || node.isBoolean())) {
            throw new IllegalArgumentException(where + " must be a string");
        }
        return node.asString();
    }
}
