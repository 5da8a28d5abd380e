package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code demo}: builds a fresh sample vault with approved plans, runs them against the bundled example
 * servers (started from this program's own class path, no network), and prints what became of each.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Builds a fresh sample vault, runs its approved plans against the example MCP servers"
                + " and prints a summary.")
final class DemoCommand implements Callable<Integer> {
    private static final String MARKER = ".mcp-orchestrator-demo";
    /** Server name to example main class and the option that names its output folder. */
    private static final Map<String, String[]> SERVERS = new LinkedHashMap<>();

    static {
        SERVERS.put("email-server", new String[] {"EmailServer", "--outbox", "Outbox/email"});
        SERVERS.put("linkedin-server", new String[] {"LinkedInServer", "--outbox", "Outbox/linkedin"});
        SERVERS.put("whatsapp-server", new String[] {"WhatsAppServer", "--outbox", "Outbox/whatsapp"});
        SERVERS.put("calendar-server", new String[] {"CalendarServer", "--outbox", "Outbox/calendar"});
        SERVERS.put("vault-watcher", new String[] {"VaultWatcherServer", "--vault", "."});
    }

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            defaultValue = "demo-vault",
            description =
                    "where to build the sample vault (default: ./demo-vault; an earlier demo vault there is replaced)")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path vault = dir.toAbsolutePath().normalize();
        prepare(vault);
        Path config = writeConfig(vault);
        out.println("Sample vault: " + vault);
        out.println("Servers:      " + config);
        out.println();

        VaultPlanStore store = VaultPlanStore.open(vault);
        int completed = 0;
        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(config)
                .discoverPlugins(DemoCommand.class.getClassLoader())
                .auditLog(store.logsDir())
                .build()) {
            results = orchestrator.processReady(store);
            for (PlanResult result : results) {
                ResultPrinter.print(out, result, orchestrator::redact);
                out.println();
                completed += result.completed() ? 1 : 0;
            }
        }
        out.println(results.size() + " plans: " + completed + " completed, " + (results.size() - completed)
                + " not (one fails on purpose).");
        out.println();
        out.println("Where everything went:");
        for (String folder : List.of("Done", "Failed", "Needs_Review", "Approved", "Outbox", "Logs")) {
            listFiles(out, vault, vault.resolve(folder));
        }
        out.flush();
        return results.isEmpty() ? 1 : 0;
    }

    private static void prepare(Path vault) throws IOException {
        if (Files.exists(vault)) {
            if (!Files.exists(vault.resolve(MARKER))) {
                throw new IllegalStateException(vault + " exists and is not a demo vault; choose another --dir");
            }
            try (Stream<Path> all = Files.walk(vault)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        Files.createDirectories(vault);
        Files.writeString(vault.resolve(MARKER), "built by mcp-orchestrator demo; deleted by the next demo run\n");
        for (String name : resource("demo-vault/index.txt")
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList()) {
            Path target = vault.resolve(name).normalize();
            if (!target.startsWith(vault)) {
                throw new IllegalStateException("demo-vault/index.txt names a file outside the vault: " + name);
            }
            Files.createDirectories(target.getParent());
            Files.writeString(target, resource("demo-vault/" + name));
        }
    }

    private static Path writeConfig(Path vault) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // absolute entries, so that the written mcp.json works from any working directory
        String classPath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(File.pathSeparator));
        Map<String, Object> servers = new LinkedHashMap<>();
        SERVERS.forEach((name, spec) -> servers.put(
                name,
                Map.of(
                        "command",
                        java,
                        "args",
                        List.of(
                                "-cp",
                                classPath,
                                "dev.mcpplan.examples.servers." + spec[0],
                                spec[1],
                                vault.resolve(spec[2]).normalize().toString()))));
        Path config = vault.resolve("mcp.json");
        JsonMapper.builder()
                .build()
                .writerWithDefaultPrettyPrinter()
                .writeValue(
                        config.toFile(),
                        Map.of(
                                "mcpServers",
                                servers,
                                "orchestrator",
                                Map.of(
                                        "actions",
                                        Map.of(
                                                // approval requests carry their text as body; the WhatsApp tool calls
                                                // it message
                                                "send_whatsapp",
                                                Map.of(
                                                        "server",
                                                        "whatsapp-server",
                                                        "parameters",
                                                        Map.of("body", "message"))))));
        return config;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void listFiles(PrintWriter out, Path vault, Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .forEach(p -> out.println("  " + vault.relativize(p)));
        }
    }
}
