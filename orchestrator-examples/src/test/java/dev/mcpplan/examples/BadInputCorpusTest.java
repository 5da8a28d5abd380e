package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.examples.cli.OrchestratorCli;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bad-input corpus ({@code src/test/resources/bad-plans}, expectations in its {@code expected.tsv})
 * dropped into a vault and run by the command-line host against the example servers, with a signing key
 * configured: every plan ends where it must with the error it must have, its steps intact, and nothing
 * is sent or written outside the vault.
 */
class BadInputCorpusTest {
    /** The key the sealed corpus plans were signed with (a test key, nothing else uses it). */
    static final String CORPUS_KEY = "corpus-test-signing-key-0123456789abcdef";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private record Expected(String file, String folder, String kind, String message) {
        boolean unreadable() {
            return kind.equals("unreadable");
        }
    }

    private static Path corpus() throws URISyntaxException {
        return Path.of(BadInputCorpusTest.class
                        .getResource("/bad-plans/expected.tsv")
                        .toURI())
                .getParent();
    }

    private static List<Expected> expectations() throws IOException, URISyntaxException {
        List<Expected> out = new ArrayList<>();
        for (String line : Files.readAllLines(corpus().resolve("expected.tsv"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] f = line.split("\t");
                out.add(new Expected(f[0], f[1], f[2], f[3]));
            }
        }
        return out;
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** What each step asks for; the orchestrator's write-back (status, times, checkboxes) aside. */
    private static List<List<Object>> content(Plan plan) {
        return plan.steps().stream()
                .map(s -> List.<Object>of(s.text(), s.action(), s.parameters(), s.dependsOn()))
                .toList();
    }

    @Test
    void everyBadPlanEndsInFailedWithTheRightErrorAndNothingIsSent() throws Exception {
        Path vault = dir.resolve("vault");
        assertThat(OrchestratorCli.run("demo", "--dir", vault.toString())).isZero();
        List<Path> outbox = tree(vault.resolve("Outbox"));
        Path approval = dir.resolve("approval.json");
        Files.writeString(
                approval, "{ \"orchestrator\": { \"approval\": { \"signingKey\": \"" + CORPUS_KEY + "\" } } }");

        List<Expected> expected = expectations();
        Map<String, byte[]> originals = new HashMap<>();
        try (Stream<Path> files = Files.list(corpus())) {
            for (Path file : files.filter(p -> !p.getFileName().toString().equals("expected.tsv"))
                    .toList()) {
                originals.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        originals.put(
                "huge.md",
                ("---\nstatus: approved\n---\n## Steps\n" + "- [ ] Send email to a@b.com\n".repeat(80_000))
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(expected)
                .extracting(Expected::file)
                .as("every corpus file has an expectation, and only those")
                .containsExactlyInAnyOrderElementsOf(originals.keySet());
        for (Map.Entry<String, byte[]> e : originals.entrySet()) {
            Files.write(vault.resolve("Approved").resolve(e.getKey()), e.getValue());
        }

        int exit = OrchestratorCli.run(
                "run",
                "--vault",
                vault.toString(),
                "--config",
                vault.resolve("mcp.json").toString(),
                "--config",
                approval.toString(),
                "--once");

        assertThat(exit).isEqualTo(1);
        assertThat(vault.resolve("Approved")).isEmptyDirectory();
        assertThat(vault.resolve("In_Progress")).isEmptyDirectory();
        Map<String, JsonNode> finished = new HashMap<>();
        for (Path log : tree(vault.resolve("Logs"))) {
            for (String line : Files.readAllLines(log)) {
                JsonNode n = JSON.readTree(line);
                if (n.path("event").asString().matches("plan_finished|plan_rejected")) {
                    finished.put(n.path("plan_id").asString(), n);
                }
            }
        }
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            for (Expected x : expected) {
                Path ended = vault.resolve(x.folder()).resolve(x.file());
                assertThat(ended).as(x.file()).exists();
                byte[] original = originals.get(x.file());
                if (x.unreadable()) {
                    assertThat(Files.readAllBytes(ended))
                            .as(x.file() + " kept byte for byte")
                            .isEqualTo(original);
                    assertThat(Files.readString(ended.resolveSibling(x.file() + ".error.txt")))
                            .as(x.file())
                            .contains(x.message());
                    assertThat(finished.get(x.file()).path("error_kind").asString())
                            .isEqualTo("VALIDATION");
                    continue;
                }
                Path pristine = dir.resolve("pristine").resolve(x.file());
                Files.createDirectories(pristine.getParent());
                Files.write(pristine, original);
                assertThat(content(parser.parse(ended)))
                        .as(x.file() + " steps intact")
                        .isEqualTo(content(parser.parse(pristine)));
                String id = parser.parse(pristine).id();
                JsonNode end = finished.get(id);
                assertThat(end).as("plan_finished of " + id).isNotNull();
                assertThat(end.path("result").asString()).as(x.file()).isEqualTo("failed");
                assertThat(end.path("error_kind").asString()).as(x.file()).isEqualTo(x.kind());
                assertThat(Files.readString(ended))
                        .as(x.file())
                        .contains("status: failed")
                        .contains(x.message());
            }
        }
        assertThat(tree(vault.resolve("Outbox"))).as("nothing sent").isEqualTo(outbox);
        try (Stream<Path> all = Files.walk(dir)) {
            assertThat(all.filter(p -> p.getFileName().toString().equals("escaped.md"))
                            .toList())
                    .as("nothing written outside the vault")
                    .isEmpty();
        }
        try (InputStream passwd = Files.newInputStream(Path.of("/etc/passwd"))) {
            byte[] head = passwd.readNBytes(16);
            for (Path file : tree(vault)) {
                assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
                        .as(file + " holds no content of /etc/passwd")
                        .doesNotContain(new String(head, StandardCharsets.ISO_8859_1));
            }
        }
    }
}
