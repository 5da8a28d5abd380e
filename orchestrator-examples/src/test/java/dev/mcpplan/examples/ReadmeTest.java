package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's examples are real: every Java block is compiled code of this module (a {@code // ...}
 * line stands for code left out), every plan parses, every configuration loads.
 */
class ReadmeTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern FENCE = Pattern.compile("^(\\s*)(`{3,})(\\w*)\\s*$");

    @TempDir
    Path dir;

    record Block(String language, int line, String text) {}

    private static List<Block> blocks() throws IOException {
        List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches() || open.group(3).isEmpty()) {
                continue;
            }
            String indent = open.group(1);
            String fence = open.group(2);
            List<String> body = new ArrayList<>();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).strip().equals(fence)) {
                String line = lines.get(j);
                body.add(line.startsWith(indent) ? line.substring(indent.length()) : line.strip());
                j++;
            }
            blocks.add(new Block(open.group(3), i + 1, String.join("\n", body) + "\n"));
            i = j;
        }
        return blocks;
    }

    private static List<Block> blocks(String language) throws IOException {
        List<Block> found =
                blocks().stream().filter(b -> b.language().equals(language)).toList();
        assertThat(found).as("```" + language + " blocks in the README").isNotEmpty();
        return found;
    }

    private static String normalised(String code) {
        return code.lines().map(String::stripTrailing).collect(Collectors.joining("\n"));
    }

    @Test
    void everyJavaBlockIsCodeOfTheExamples() throws IOException {
        List<String> sources;
        try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java"))
                    .map(p -> {
                        try {
                            return normalised(Files.readString(p));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .toList();
        }
        for (Block block : blocks("java")) {
            String[] chunks = block.text().split("(?m)^\\s*// \\.\\.\\.\\s*$\n?");
            assertThat(sources)
                    .as("README line %d: the Java block is in no source file of orchestrator-examples", block.line())
                    .anySatisfy(source -> {
                        int from = 0;
                        for (String chunk : chunks) {
                            String code = normalised(chunk).strip();
                            if (code.isEmpty()) {
                                continue;
                            }
                            int at = source.indexOf(code, from);
                            assertThat(at).as(code).isNotNegative();
                            from = at + code.length();
                        }
                    });
        }
    }

    @Test
    void everyPlanInTheReadmeParses() throws IOException {
        int plans = 0;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            for (Block block : blocks("markdown")) {
                if (!block.text().startsWith("---\n")) {
                    continue;
                }
                Path file = dir.resolve("readme-" + block.line() + ".md");
                Files.writeString(file, block.text());
                Plan plan = orchestrator.parse(file);
                assertThat(plan.steps()).as("README line %d", block.line()).isNotEmpty();
                plans++;
            }
        }
        assertThat(plans).as("plans in the README").isGreaterThanOrEqualTo(2);
    }

    @Test
    void theReadmesCompletePlanExampleReadsAsItsCommentsSay() throws IOException {
        Block complete = blocks("markdown").stream()
                .filter(b -> b.text().contains("type: plan "))
                .findFirst()
                .orElseThrow();
        Path file = dir.resolve("complete.md");
        Files.writeString(file, complete.text());
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            Plan plan = orchestrator.parse(file);
            assertThat(plan.id()).isEqualTo("20260216-141530-Plan");
            assertThat(plan.approval().approvedActions()).contains(java.util.Set.of("send_email", "write_vault"));
            assertThat(plan.steps()).hasSize(4);
            assertThat(plan.steps().get(1).id()).contains("save");
            assertThat(plan.steps().get(2).parameters()).containsEntry("channel", "#sales");
        }
    }

    @Test
    void everyConfigurationInTheReadmeLoads() throws IOException {
        int configs = 0;
        for (Block block : blocks("json")) {
            if (!block.text().contains("\"mcpServers\"") && !block.text().contains("\"orchestrator\"")) {
                continue;
            }
            Path file = dir.resolve("readme-" + block.line() + ".json");
            Files.writeString(file, block.text());
            McpPlanOrchestrator.builder()
                    .config(file)
                    .environment(Map.of("MCP_APPROVAL_KEY", "k".repeat(32), "CRM_TOKEN", "readme-token"))
                    .build()
                    .close();
            configs++;
        }
        assertThat(configs).as("configurations in the README").isPositive();
    }
}
