package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.examples.cli.OrchestratorCli;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What a first-time user of the command line runs into: every mistake is said, nothing silently does nothing. */
class FirstContactCommandsTest {
    @TempDir
    Path dir;

    /** The exit code, then standard output and standard error. */
    private static String run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        try {
            int exit = OrchestratorCli.run(args);
            return exit + "\n" + captured.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Path emptyConfig() throws IOException {
        Path config = dir.resolve("mcp.json");
        Files.writeString(config, "{ \"mcpServers\": {} }");
        return config;
    }

    @Test
    void runOnAVaultFolderThatDoesNotExistSaysSoAndExitsNonZeroUnlessToldToCreateIt() throws IOException {
        Path vault = dir.resolve("typo-vault");
        String config = emptyConfig().toString();

        assertThat(run("run", "--vault", vault.toString(), "--config", config, "--once"))
                .startsWith("2\n")
                .contains("error: the vault folder " + vault + " does not exist; check --vault, or add --create");
        assertThat(vault).doesNotExist();

        assertThat(run("run", "--vault", vault.toString(), "--config", config, "--once", "--create"))
                .startsWith("0\n");
        assertThat(vault.resolve("Approved")).isDirectory();
    }

    @Test
    void healthWithNoServersConfiguredSaysSo() throws IOException {
        Path config = emptyConfig();
        assertThat(run("health", "--config", config.toString()))
                .startsWith("2\n")
                .contains("error: no servers are configured: [" + config + "] define no (enabled) server");
    }

    @Test
    void durationOptionsAcceptTheFormsTheConfigurationAccepts() throws IOException {
        Path vault = dir.resolve("vault");
        String config = emptyConfig().toString();
        for (String poll : List.of("2s", "500ms", "PT2S", "1h")) {
            assertThat(run(
                            "run",
                            "--vault",
                            vault.toString(),
                            "--config",
                            config,
                            "--once",
                            "--create",
                            "--poll",
                            poll))
                    .as(poll)
                    .startsWith("0\n");
        }
        assertThat(run("run", "--vault", vault.toString(), "--config", config, "--once", "--poll", "soon"))
                .startsWith("2\n")
                .contains("'soon' is not a duration (write 30s, 500ms, 2m, 1h, 7d, PT30S or milliseconds)");
    }

    @Test
    void checkAndExecuteShowAStepNoDetectorRecognisesAsAWarning() throws IOException {
        Path vault = dir.resolve("demo");
        assertThat(OrchestratorCli.run("demo", "--dir", vault.toString())).isZero();
        Path plan = dir.resolve("note-and-ponder.md"); // its plan id: one plan id runs once
        Files.writeString(plan, """
                ---
                status: approved
                ---
                # Note and ponder
                ## Steps
                - [ ] Save to vault Notes/first.md
                  - content: hello
                - [ ] Ponder what the launch means for the team
                """);
        String config = vault.resolve("mcp.json").toString();

        assertThat(run("check", plan.toString(), "--config", config))
                .startsWith("0\n")
                .contains("(internal)")
                .contains("No problems: the plan would run.")
                .contains("1 warning:\n  - INTERNAL_STEP: step 2 (\"Ponder what the launch means for the team\"): no"
                        + " detector recognises it");
        assertThat(run("execute", plan.toString(), "--config", config))
                .startsWith("0\n")
                .contains("completed")
                .contains("  warning: INTERNAL_STEP: step 2 (\"Ponder what the launch");
    }

    @Test
    void theDemosMcpJsonNamesOnlyAbsolutePathsSoItWorksFromAnyWorkingDirectory()
            throws IOException, InterruptedException {
        Path here = Path.of("").toAbsolutePath();
        String relativeClassPath = Arrays.stream(
                        System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> here.relativize(Path.of(entry).toAbsolutePath()).toString())
                .collect(Collectors.joining(File.pathSeparator));
        Path vault = dir.resolve("demo");
        Process demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        relativeClassPath,
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        OrchestratorCli.class.getName(),
                        "demo",
                        "--dir",
                        vault.toString())
                .directory(here.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(demo.waitFor()).as(output).isZero();

        JsonNode servers = JsonMapper.builder()
                .build()
                .readTree(vault.resolve("mcp.json").toFile())
                .get("mcpServers");
        assertThat(servers.propertyNames()).isNotEmpty();
        for (String name : servers.propertyNames()) {
            List<String> args = servers.get(name)
                    .get("args")
                    .valueStream()
                    .map(JsonNode::asString)
                    .toList();
            String classPath = args.get(args.indexOf("-cp") + 1);
            assertThat(classPath.split(File.pathSeparator))
                    .as(name)
                    .allSatisfy(entry -> assertThat(Path.of(entry)).isAbsolute().exists());
        }
        assertThat(run("health", "--config", vault.resolve("mcp.json").toString()))
                .startsWith("0\n")
                .doesNotContain("DOWN");
    }
}
