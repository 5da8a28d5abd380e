package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.databind.json.JsonMapper;

/** Definitions of real test servers, started as processes from this JVM's class path. */
public final class Servers {
    private Servers() {}

    /** The java binary running this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * A {@link FaultServer} behind a shell, as {@code npx} or a start script would run it, with a
     * background {@code sleep} of the shell's own: a process tree of three.
     */
    public static ServerDefinition wrappedFaultServer(String name) {
        ServerDefinition server = faultServer(name);
        String command = Stream.concat(Stream.of(server.command().orElseThrow()), server.args().stream())
                .map(a -> "'" + a + "'")
                .collect(Collectors.joining(" "));
        return ServerDefinition.builder(name, ServerDefinition.STDIO)
                .command("sh")
                .args(List.of("-c", "sleep 300 & " + command + "; wait"))
                .build();
    }

    /** The reference server {@code @modelcontextprotocol/server-everything}, as the build installs it. */
    public static final Path EVERYTHING = Path.of(
                    "target/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
            .toAbsolutePath();
    /** The reference server {@code @modelcontextprotocol/server-filesystem}, as the build installs it. */
    public static final Path FILESYSTEM = Path.of(
                    "target/npm/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
            .toAbsolutePath();

    /**
     * {@code server-everything} over stdio, run by node, or behind a shell as {@code npx} runs it (a
     * tree of two). While a call runs (a long-running operation), it does not exit when its stdin closes.
     */
    public static ServerDefinition everything(String name, boolean wrapped) {
        ServerDefinition.Builder b = ServerDefinition.builder(name, ServerDefinition.STDIO);
        return (wrapped
                        ? b.command("sh").args(List.of("-c", "node '" + EVERYTHING + "' stdio; true"))
                        : b.command("node").args(List.of(EVERYTHING.toString(), "stdio")))
                .build();
    }

    /** A listener that adds each alert, as {@code KIND message}, to {@code alerts}. */
    public static ExecutionListener alertsInto(List<String> alerts) {
        return new ExecutionListener() {
            @Override
            public void alert(Plan plan, ErrorKind kind, String message) {
                alerts.add(kind + " " + message);
            }
        };
    }

    /** An approved one-step plan that echoes "hi"; a plan of its own each time (one plan id runs once). */
    public static Plan echoPlan() {
        return Plan.builder("echo-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .steps(List.of(Step.builder(1, "Echo")
                        .action("echo")
                        .parameter("text", "hi")
                        .build()))
                .build();
    }

    /**
     * An approved plan of one step that names {@code action} and has {@code parameters}; a plan of its own
     * each time (one plan id runs once).
     */
    public static Plan oneStep(String action, Map<String, Object> parameters) {
        Step.Builder step = Step.builder(1, action).action(action);
        parameters.forEach(step::parameter);
        return Plan.builder(action + "-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .steps(List.of(step.build()))
                .build();
    }

    /** Routes every action to the tool of the same name on the server {@code server}. */
    public static ServerMapping everythingTo(String server) {
        return new ServerMapping() {
            @Override
            public String id() {
                return "everything-to-" + server;
            }

            @Override
            public Optional<Route> route(String actionType) {
                return Optional.of(Route.to(server, actionType));
            }
        };
    }

    /**
     * Writes a configuration file: the servers (each a map of {@code command}, {@code args}, {@code env}, ...)
     * under {@code mcpServers}, the settings under {@code orchestrator}.
     */
    public static Path config(Path file, Map<String, ?> servers, Map<String, ?> settings) {
        JsonMapper.shared().writeValue(file.toFile(), Map.of("mcpServers", servers, "orchestrator", settings));
        return file;
    }

    /** A {@link FaultServer} entry of a configuration file, with extra start options and env. */
    public static Map<String, Object> faultServerEntry(Map<String, String> env, String... options) {
        ServerDefinition server = faultServer("fault", options);
        return Map.of("command", server.command().orElseThrow(), "args", server.args(), "env", env);
    }

    /** A {@link FaultServer} named {@code name}, with extra start options. */
    public static ServerDefinition faultServer(String name, String... options) {
        List<String> args = new ArrayList<>(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                FaultServer.class.getName()));
        args.addAll(List.of(options));
        return ServerDefinition.builder(name, ServerDefinition.STDIO)
                .command(java())
                .args(args)
                .build();
    }

    /**
     * Writes an approved plan file {@code NAME.md} into {@code dir}: plan id {@code name}, the extra front
     * matter lines, and the markdown of its steps.
     */
    public static Path approvedPlanFile(Path dir, String name, String frontMatter, String steps) throws IOException {
        return Files.writeString(dir.resolve(name + ".md"), """
                ---
                plan_id: %s
                status: approved
                %s
                ---
                # %s

                ## Steps
                %s""".formatted(name, frontMatter, name, steps));
    }
}
