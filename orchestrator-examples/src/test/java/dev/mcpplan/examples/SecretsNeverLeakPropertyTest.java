package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.testing.SecretShapes;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Secrets of every well-known token shape, placed in every channel a secret comes in by (a plan's step text
 * and parameters, a tool's result, a tool's error text, a server's configured {@code env} and its stderr),
 * reach no channel that leaves the orchestrator: the command line's stdout and stderr (with the SLF4J
 * console log) of {@code execute}, {@code run} and {@code check}, the plan file as the run leaves it, the
 * audit logs, {@code Dashboard.md}. Each try uses one secret of every shape in every channel, and new
 * configured secrets, so it starts the servers anew: few tries.
 */
class SecretsNeverLeakPropertyTest {
    /**
     * The secrets of one try.
     *
     * @param stepText in each step's text
     * @param echoed the parameter a tool answers with, so also in a tool's result
     * @param errorText the parameter a tool fails with, so also in an error result
     * @param stderr the parameter a tool writes to stderr before its server dies mid-call
     * @param serverEnv a server's configured env value, which it writes to stderr at start
     * @param brokenEnv env values of a server that writes them to stderr and dies at start: a password without
     *     a shape, and tokens
     */
    record Secrets(
            List<String> stepText,
            List<String> echoed,
            List<String> errorText,
            List<String> stderr,
            String serverEnv,
            String brokenPassword,
            List<String> brokenTokens) {
        List<String> all() {
            List<String> all = new ArrayList<>();
            Stream.of(stepText, echoed, errorText, stderr, brokenTokens).forEach(all::addAll);
            all.add(serverEnv);
            all.add(brokenPassword);
            return all;
        }
    }

    @Provide
    Arbitrary<Secrets> secrets() {
        Arbitrary<List<String>> each = SecretShapes.oneOfEach();
        return Combinators.combine(each, each, each, each, SecretShapes.literal(), SecretShapes.literal(), each)
                .as(Secrets::new);
    }

    @Property(tries = 3)
    void noSecretReachesAnyOutput(@ForAll("secrets") Secrets secrets) throws IOException {
        Path dir = Files.createTempDirectory("secrets-never-leak");
        try {
            runAndCheck(dir, secrets);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    private static void runAndCheck(Path dir, Secrets secrets) throws IOException {
        Path config = config(dir, secrets);
        String steps = String.join(" ", secrets.stepText());

        Path executed = plan(dir.resolve("execute.md"), """
                - [ ] Echo %1$s
                  - action: echo
                  - text: %2$s
                - [ ] Refuse %1$s
                  - action: fail_echo
                  - text: %3$s
                """.formatted(
                        steps, String.join(" ", secrets.echoed()), String.join(" ", secrets.errorText())));
        Cli.Run execute = Cli.run(
                "execute",
                executed.toString(),
                "--config",
                config.toString(),
                "--audit-log",
                dir.resolve("Logs").toString());
        assertThat(execute.out()).contains("step 1: succeeded", "step 2: failed");

        Path vault = dir.resolve("vault");
        Files.createDirectories(vault.resolve("Approved"));
        Path leak = plan(vault.resolve("Approved/leak.md"), """
                - [ ] Leak %s
                  - action: leak
                  - text: %s
                """.formatted(steps, String.join(" ", secrets.stderr())));
        Set<String> written = Set.copyOf(Files.readAllLines(leak, StandardCharsets.UTF_8));
        Cli.Run run = Cli.run("run", "--vault", vault.toString(), "--config", config.toString(), "--once");
        assertThat(run.out()).contains("needs_review", "exited with code 3");

        Path checked = plan(dir.resolve("check.md"), """
                - [ ] Ping %s
                  - action: ping_broken
                """.formatted(steps));
        Cli.Run check = Cli.run("check", checked.toString(), "--config", config.toString());
        assertThat(check.out()).contains("the server 'broken'", "exited with code 3");

        List<String> outputs = new ArrayList<>(List.of(execute.all(), run.all(), check.all()));
        outputs.addAll(written(vault, written));
        outputs.addAll(written(dir.resolve("Logs"), Set.of()));
        assertThat(outputs).anySatisfy(o -> assertThat(o).contains("\"event\":\"plan_finished\""));
        for (String secret : secrets.all()) {
            for (String fragment : fragments(secret)) {
                assertThat(outputs).noneSatisfy(o -> assertThat(o).contains(fragment));
            }
        }
    }

    /** A secret and the parts a cut to width could leave of it: its first and its last 16 characters. */
    private static Set<String> fragments(String secret) {
        int n = Math.min(16, secret.length());
        return new HashSet<>(List.of(secret, secret.substring(0, n), secret.substring(secret.length() - n)));
    }

    /** The text of every file under {@code root}, without the lines a person wrote in the plan. */
    private static List<String> written(Path root, Set<String> input) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(f -> {
                        try {
                            return Files.readAllLines(f, StandardCharsets.UTF_8).stream()
                                    .filter(line -> !input.contains(line))
                                    .reduce(f + ":", (a, b) -> a + "\n" + b);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .toList();
        }
    }

    /** A plan file; its plan id names the try's own folder too, since one plan id runs once. */
    private static Path plan(Path file, String steps) throws IOException {
        Files.writeString(
                file,
                """
                ---
                status: approved
                plan_id: %s-%s
                ---
                # A plan full of secrets
                ## Steps
                """.formatted(
                                        file.getParent().getFileName(),
                                        file.getFileName().toString().replace(".md", ""))
                        + steps);
        return file;
    }

    private static Path config(Path dir, Secrets secrets) {
        return Servers.config(
                dir.resolve("mcp.json"),
                Map.of(
                        "fault",
                        Servers.faultServerEntry(Map.of("MY_SECRET", secrets.serverEnv()), "--stderr-env", "MY_SECRET"),
                        "broken",
                        Map.of(
                                "command",
                                "sh",
                                "args",
                                List.of(
                                        "-c",
                                        "read request; echo \"connecting with $DB_PASS, then $CONNECT_WITH\" >&2;"
                                                + " exit 3"),
                                "env",
                                Map.of(
                                        "DB_PASS",
                                        secrets.brokenPassword(),
                                        "CONNECT_WITH",
                                        String.join(" ", secrets.brokenTokens())))),
                Map.of(
                        "startTimeout",
                        "30s",
                        "backoff",
                        "50ms",
                        "actions",
                        Map.of(
                                "echo", "fault",
                                "fail_echo", "fault",
                                "leak", "fault",
                                "ping_broken", Map.of("server", "broken", "tool", "ping"))));
    }
}
