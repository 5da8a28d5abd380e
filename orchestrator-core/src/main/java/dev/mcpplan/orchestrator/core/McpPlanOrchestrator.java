package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanOrchestrator;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.ServerHealth;
import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.internal.audit.Slf4jAuditSink;
import dev.mcpplan.orchestrator.core.internal.config.ConfigLoader;
import dev.mcpplan.orchestrator.core.internal.config.Configuration;
import dev.mcpplan.orchestrator.core.internal.detect.ExplicitActionDetector;
import dev.mcpplan.orchestrator.core.internal.detect.PhraseRuleDetector;
import dev.mcpplan.orchestrator.core.internal.engine.Engine;
import dev.mcpplan.orchestrator.core.internal.engine.ErrorClassifiers;
import dev.mcpplan.orchestrator.core.internal.ledger.FileLedger;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerConnection;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerPool;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import dev.mcpplan.orchestrator.core.internal.plugin.PluginLoader;
import dev.mcpplan.orchestrator.core.internal.route.ActionsTableMapping;
import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.AuditSink;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import dev.mcpplan.orchestrator.spi.PlanStore;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson3.DefaultJsonSchemaValidator;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The orchestrator engine: builds a {@link PlanOrchestrator} from configuration files and plugins.
 *
 * <pre>{@code
 * try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
 *         .config(Path.of("mcp.json"))
 *         .discoverPlugins(Thread.currentThread().getContextClassLoader())
 *         .build()) {
 *     PlanResult result = orchestrator.execute(orchestrator.parse(Path.of("plan.md")));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Servers start on first use and are reused until {@link #close()}.
 *
 * <p>By default: no plugins but the built-in explicit and phrase detectors, the actions tables, and the
 * transports on the library's own class path (call {@link Builder#discoverPlugins(ClassLoader)} for
 * ServiceLoader discovery of every other kind of plugin); audit events go to the SLF4J
 * logger {@code mcp.orchestrator}; a dry run starts servers to read their tool schemas; the approvals
 * of plans handed over in code are consumed in the ledger in {@link Builder#stateDirectory}. Running servers
 * are pinged every {@code healthInterval} (60 s) on a daemon thread; one found dead is started again on
 * its next use.
 */
public final class McpPlanOrchestrator implements PlanOrchestrator {
    /** Folder names whose plans count as approved by a person's move into them. */
    private static final List<String> APPROVAL_FOLDERS = List.of("Approved", "In_Progress");

    private final Engine engine;
    private final ServerPool servers;
    private final boolean startServersForCheck;
    private final ScheduledExecutorService healthChecks;
    private final Clock clock;
    private final Duration vaultSettle;
    private final Redactor redactor;

    private McpPlanOrchestrator(
            Engine engine,
            ServerPool servers,
            boolean startServersForCheck,
            Duration healthInterval,
            Clock clock,
            Duration vaultSettle,
            Redactor redactor) {
        this.redactor = redactor;
        this.engine = engine;
        this.clock = clock;
        this.vaultSettle = vaultSettle;
        this.servers = servers;
        this.startServersForCheck = startServersForCheck;
        this.healthChecks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mcp-health-checks");
            t.setDaemon(true);
            return t;
        });
        healthChecks.scheduleWithFixedDelay(
                servers::checkRunning, healthInterval.toMillis(), healthInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Plan parse(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            return PlanParser.parse(file);
        } catch (UncheckedIOException e) {
            throw new PlanFormatException(
                    file.toString(), 0, "cannot read the file: " + ErrorClassifiers.messageOf(e.getCause()), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A plan read from a folder named {@code Approved} counts as approved whatever its front matter
     * status says: in a vault, moving the file there is the person's act of approval.
     */
    @Override
    public CheckReport check(Plan plan) {
        return engine.check(Objects.requireNonNull(plan, "plan"), approvedByFolder(plan), startServersForCheck);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The plan's approval is consumed in the ledger in the {@linkplain Builder#stateDirectory state
     * directory}: a second run of the same plan (or of its approval under another plan id) is refused
     * with an {@link dev.mcpplan.orchestrator.ErrorKind#APPROVAL} error naming the first, unless the
     * first was rescheduled.
     */
    @Override
    public PlanResult execute(Plan plan) {
        return engine.execute(Objects.requireNonNull(plan, "plan"), approvedByFolder(plan));
    }

    @Override
    public CompletableFuture<PlanResult> submit(Plan plan) {
        return engine.submit(Objects.requireNonNull(plan, "plan"), approvedByFolder(plan));
    }

    @Override
    public List<PlanResult> processReady(PlanStore store) {
        return engine.processReady(Objects.requireNonNull(store, "store"));
    }

    /**
     * Opens a vault folder as a plan store, with this orchestrator's clock and its {@code vault.settle}
     * setting (1 s by default).
     */
    public VaultPlanStore openVault(Path vault) {
        return VaultPlanStore.open(Objects.requireNonNull(vault, "vault"), clock, vaultSettle, redactor);
    }

    private static boolean approvedByFolder(Plan plan) {
        return plan.source()
                .map(Path::getParent)
                .map(Path::getFileName)
                .map(Path::toString)
                .filter(APPROVAL_FOLDERS::contains)
                .isPresent();
    }

    /**
     * The text with every secret this orchestrator knows of masked, as in its logs, plan files and audit
     * log: configured {@code env} and {@code headers} values and the signing key, secret-looking
     * {@code key=value} pairs, well-known token shapes, e-mail addresses, phone and card numbers. For a host
     * that shows what a plan returned ({@link dev.mcpplan.orchestrator.StepResult#content()} is the tool's
     * answer as it came).
     */
    public String redact(String text) {
        return redactor.redact(Objects.requireNonNull(text, "text"));
    }

    @Override
    public List<ServerHealth> health() {
        List<ServerHealth> report = new ArrayList<>();
        List<ServerDefinition> byName = new ArrayList<>(servers.definitions());
        byName.sort(java.util.Comparator.comparing(ServerDefinition::name));
        for (ServerDefinition definition : byName) {
            List<ServerConnection> instances;
            try {
                instances = servers.instances(definition.name());
            } catch (RuntimeException e) {
                report.add(down(definition.name(), definition, e));
                continue;
            }
            for (ServerConnection connection : instances) {
                try {
                    List<String> tools = List.copyOf(connection.tools().keySet());
                    Duration ping = connection.ping();
                    report.add(new ServerHealth(
                            connection.name(), definition.type(), true, tools, Optional.of(ping), Optional.empty()));
                } catch (RuntimeException e) {
                    report.add(down(connection.name(), definition, e));
                }
            }
        }
        return report;
    }

    private ServerHealth down(String name, ServerDefinition definition, RuntimeException e) {
        return new ServerHealth(
                name,
                definition.type(),
                false,
                List.of(),
                Optional.empty(),
                // the SDK's outer message ("Client failed to initialize ...") says nothing: add the cause's
                Optional.of(redactor.redact(ErrorClassifiers.messageOf(e))));
    }

    /** Stops the health checks and ends every server process this orchestrator started. */
    @Override
    public void close() {
        healthChecks.shutdownNow();
        servers.close();
    }

    /**
     * Builds a {@link McpPlanOrchestrator}. Not thread-safe.
     */
    public static final class Builder {
        /** The system property that names the default {@linkplain #stateDirectory state directory}. */
        public static final String STATE_PROPERTY = "mcp.orchestrator.stateDirectory";

        private final List<Path> configFiles = new ArrayList<>();
        private final List<ServerDefinition> servers = new ArrayList<>();
        private final List<ActionDetector> detectors = new ArrayList<>();
        private final List<ServerMapping> mappings = new ArrayList<>();
        private final List<TransportProvider> transports = new ArrayList<>();
        private final List<ExecutionListener> listeners = new ArrayList<>();
        private final List<AuditSink> auditSinks = new ArrayList<>();
        private final List<ErrorClassifier> classifiers = new ArrayList<>();
        private Path auditLogDir;
        private Path stateDirectory;
        private ClassLoader pluginLoader;
        private Map<String, String> environment = System.getenv();
        private Clock clock = Clock.systemUTC();
        private boolean startServersForCheck = true;

        private Builder() {}

        /**
         * Adds a configuration file: {@code mcpServers} in Claude Desktop's format and/or orchestrator
         * settings under {@code orchestrator}. Later files override earlier ones.
         */
        public Builder config(Path file) {
            configFiles.add(Objects.requireNonNull(file, "file"));
            return this;
        }

        /** Adds a server in code; it replaces a configured server of the same name. */
        public Builder server(ServerDefinition server) {
            servers.add(Objects.requireNonNull(server, "server"));
            return this;
        }

        public Builder detector(ActionDetector detector) {
            detectors.add(Objects.requireNonNull(detector, "detector"));
            return this;
        }

        public Builder mapping(ServerMapping mapping) {
            mappings.add(Objects.requireNonNull(mapping, "mapping"));
            return this;
        }

        public Builder transport(TransportProvider transport) {
            transports.add(Objects.requireNonNull(transport, "transport"));
            return this;
        }

        public Builder listener(ExecutionListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Adds an error classifier, asked before the built-in one (by priority among the added and the
         * discovered ones).
         */
        public Builder errorClassifier(ErrorClassifier classifier) {
            classifiers.add(Objects.requireNonNull(classifier, "classifier"));
            return this;
        }

        public Builder auditSink(AuditSink sink) {
            auditSinks.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /** Writes the audit log, one JSON line per event, into {@code YYYY-MM-DD.jsonl} files in this folder. */
        public Builder auditLog(Path logsDirectory) {
            this.auditLogDir = Objects.requireNonNull(logsDirectory, "logsDirectory");
            return this;
        }

        /** The folder of the ledger of consumed approvals, {@code ledger.jsonl}: see {@link #stateDirectory(Path)}. */
        private Path ledgerDirectory() {
            if (stateDirectory != null) {
                return stateDirectory;
            }
            String property = System.getProperty(STATE_PROPERTY);
            if (property != null && !property.isBlank()) {
                return Path.of(property);
            }
            String xdg = environment.get("XDG_STATE_HOME");
            Path base = xdg != null && !xdg.isBlank()
                    ? Path.of(xdg)
                    : Path.of(System.getProperty("user.home"), ".local", "state");
            return base.resolve("mcp-orchestrator");
        }

        /**
         * Also uses the plugins {@link java.util.ServiceLoader} finds through this class loader: detectors,
         * server mappings, transports, error classifiers, listeners and audit sinks. Without this call only
         * explicitly registered plugins are used, and the transport providers (such as
         * {@code orchestrator-stdio-transport}) found through the library's own class loader and the
         * thread's context class loader: adding a transport's jar is enough to use it.
         */
        public Builder discoverPlugins(ClassLoader loader) {
            this.pluginLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /** The environment {@code ${VAR}} references are expanded from; {@link System#getenv()} by default. */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The folder where the orchestrator keeps state across runs of the host. The stdio transport
         * records there the server processes it runs, so that a host started after one that was killed
         * ends what that one left running (by default in {@code mcp-orchestrator-USER} in {@code
         * java.io.tmpdir}). The ledger of consumed approvals of plans handed over in code is kept there
         * as {@code ledger.jsonl}, created when first needed; it must outlive a reboot, so by default it
         * is in the folder the system property {@value #STATE_PROPERTY} names, else in {@code
         * $XDG_STATE_HOME/mcp-orchestrator}, else in {@code ~/.local/state/mcp-orchestrator}. A vault
         * keeps its own ledger, in {@code .orchestrator/} in the vault.
         */
        public Builder stateDirectory(Path directory) {
            this.stateDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** Whether a dry run starts servers to read their tool schemas; true by default. */
        public Builder startServersForCheck(boolean start) {
            this.startServersForCheck = start;
            return this;
        }

        /**
         * @throws ConfigurationException if a configuration file is unreadable or invalid, or two plugins
         *     claim one id or transport type
         */
        public McpPlanOrchestrator build() {
            ConfigLoader loader = new ConfigLoader(environment);
            configFiles.forEach(loader::load);
            servers.forEach(loader::server);
            Configuration config = loader.build();
            Optional<ClassLoader> discovery = Optional.ofNullable(pluginLoader);

            // by priority: the step's own action:, the user's phrases and table, the plugins, the seed's defaults
            List<ActionDetector> allDetectors = new ArrayList<>(detectors);
            allDetectors.add(new ExplicitActionDetector());
            allDetectors.add(PhraseRuleDetector.configured(config.settings().phrases()));
            allDetectors.add(PhraseRuleDetector.defaults(config.settings().defaultPhrases()));
            List<ServerMapping> allMappings = new ArrayList<>(mappings);
            allMappings.add(ActionsTableMapping.configured(config.settings().actions()));
            allMappings.add(ActionsTableMapping.defaults(config.settings().defaultActions()));

            Map<String, TransportProvider> transportsByType = transports(discovery);

            Redactor.Builder redaction = Redactor.builder()
                    .secretKeys(config.settings().redactKeys())
                    .valuePatterns(config.settings().redactPatterns());
            for (ServerDefinition server : config.servers().values()) {
                redaction.configuredValues(server.env()).configuredValues(server.headers());
            }
            // named so that any value counts, however plain it looks
            config.settings()
                    .approval()
                    .key()
                    .ifPresent(k -> redaction.configuredValues(
                            Map.of("signing_secret", new String(k, StandardCharsets.UTF_8))));
            Redactor redactor = redaction.build();
            List<AuditSink> sinks = new ArrayList<>();
            sinks.add(new Slf4jAuditSink(redactor));
            if (auditLogDir != null) {
                // keyed with the approval key, so that verify-log takes the key the way approve does
                sinks.add(new JsonlAuditSink(
                        auditLogDir,
                        redactor,
                        config.settings().approval().key().orElse(null)));
            }
            sinks.addAll(new PluginLoader<>(
                            AuditSink.class, "class", s -> s.getClass().getName(), s -> 0)
                    .load(auditSinks, discovery));

            JsonMapper json = JsonMapper.builder().build();
            ServerPool pool = new ServerPool(
                    config.servers(),
                    transportsByType,
                    new JacksonMcpJsonMapper(json),
                    config.settings(),
                    // half the retry backoff: with its jitter of 25 %, a retry never comes before the restart may
                    config.settings().backoff().dividedBy(2),
                    redactor::redact,
                    stateDirectory,
                    clock);
            Engine engine = new Engine(
                    new PluginLoader<>(ActionDetector.class, "id", ActionDetector::id, ActionDetector::priority)
                            .load(allDetectors, discovery),
                    new PluginLoader<>(ServerMapping.class, "id", ServerMapping::id, ServerMapping::priority)
                            .load(allMappings, discovery),
                    pool,
                    new DefaultJsonSchemaValidator(json),
                    config.settings(),
                    new PluginLoader<>(
                                    ErrorClassifier.class,
                                    "class",
                                    c -> c.getClass().getName(),
                                    ErrorClassifier::priority)
                            .load(withTransportClassifiers(classifiers, transportsByType), discovery),
                    new PluginLoader<>(
                                    ExecutionListener.class,
                                    "class",
                                    l -> l.getClass().getName(),
                                    l -> 0)
                            .load(listeners, discovery),
                    sinks,
                    redactor,
                    new FileLedger(ledgerDirectory().resolve("ledger.jsonl"), clock),
                    clock);
            return new McpPlanOrchestrator(
                    engine,
                    pool,
                    startServersForCheck,
                    config.settings().healthInterval(),
                    clock,
                    config.settings().vaultSettle(),
                    redactor);
        }

        /**
         * The transports by type: those registered or found by {@link #discoverPlugins}, then those the
         * library's own and the thread's context class loader find for the types still missing (a
         * registered provider replaces a found one of its type).
         */
        private Map<String, TransportProvider> transports(Optional<ClassLoader> discovery) {
            PluginLoader<TransportProvider> loader =
                    new PluginLoader<>(TransportProvider.class, "transport type", TransportProvider::type, t -> 0);
            Map<String, TransportProvider> byType = new LinkedHashMap<>();
            loader.load(transports, discovery).forEach(t -> byType.put(t.type(), t));
            List<ClassLoader> own = new ArrayList<>();
            own.add(McpPlanOrchestrator.class.getClassLoader());
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            if (context != null && !own.contains(context)) {
                own.add(context);
            }
            loader.load(List.of(), own).forEach(t -> byType.putIfAbsent(t.type(), t));
            return byType;
        }

        /** The registered classifiers, then those of the transports in use. */
        private List<ErrorClassifier> withTransportClassifiers(
                List<ErrorClassifier> registered, Map<String, TransportProvider> transportsByType) {
            List<ErrorClassifier> all = new ArrayList<>(registered);
            transportsByType.values().forEach(t -> all.addAll(t.errorClassifiers()));
            return all;
        }
    }
}
