package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Markdown parameters reach real servers with the types their schemas ask for: the reference
 * {@code server-filesystem} ({@code read_multiple_files} takes {@code paths: string[]}) and
 * {@code server-everything} ({@code get-sum} takes numbers). A value that cannot be made to fit is
 * refused before anything runs, naming the parameter as the step wrote it.
 */
class RealServerParametersTest {
    @TempDir
    Path dir;

    private Path root;
    private Path config;

    @BeforeEach
    void servers() throws IOException {
        assertThat(Servers.FILESYSTEM)
                .as("the build installs the reference servers with npm")
                .exists();
        root = dir.toRealPath();
        Files.writeString(root.resolve("a.md"), "Alpha text.");
        Files.writeString(root.resolve("b.md"), "Beta text.");
        config = root.resolve("mcp.json");
        Files.writeString(config, """
                { "mcpServers": {
                    "fs": { "command": "node", "args": ["%s", "%s"] },
                    "everything": { "command": "node", "args": ["%s", "stdio"] } },
                  "orchestrator": { "timeout": "20s", "actions": {
                    "read_many": { "server": "fs", "tool": "read_multiple_files", "parameters": { "files": "paths" } },
                    "read_all": { "server": "fs", "tool": "read_multiple_files" },
                    "add": { "server": "everything", "tool": "get-sum" } } } }
                """.formatted(Servers.FILESYSTEM, root, Servers.EVERYTHING));
    }

    private McpPlanOrchestrator orchestrator() {
        return McpPlanOrchestrator.builder()
                .config(config)
                .discoverPlugins(getClass().getClassLoader())
                .build();
    }

    /** A plan of its own each time: one plan id runs once. */
    private Plan plan(String steps) {
        return PlanParser.parse(
                "plan.md", """
                ---
                status: approved
                plan_id: parameters-%s
                ---
                # Parameters
                ## Steps
                %s
                """.formatted(UUID.randomUUID(), steps).getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void anInlineListReachesAStringArrayParameterAsAList() {
        Plan plan = plan("""
                - [ ] Read both notes
                  - action: read_all
                  - paths: [%1$s/a.md, "%1$s/b.md"]
                - [ ] Read them again through the renamed parameter, from a yaml block
                  - action: read_many
                  ```yaml
                  files:
                    - %1$s/b.md
                  ```
                """.formatted(root));
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator()) {
            result = orchestrator.execute(plan);
        }

        assertThat(result.steps()).extracting(StepResult::status).containsOnly(StepStatus.SUCCEEDED);
        assertThat(result.steps().get(0).content())
                .hasValueSatisfying(c -> assertThat(c).contains("Alpha text.", "Beta text."));
        assertThat(result.steps().get(1).content())
                .hasValueSatisfying(c -> assertThat(c).contains("Beta text.").doesNotContain("Alpha"));
    }

    @Test
    void numbersWrittenAsTextReachNumberParametersAsNumbers() {
        Plan plan = plan("""
                - [ ] Add two numbers
                  - action: add
                  - a: 2
                  - b: 3.5
                """);
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator()) {
            result = orchestrator.execute(plan);
        }

        assertThat(result.steps().get(0).status()).isEqualTo(StepStatus.SUCCEEDED);
        assertThat(result.steps().get(0).content())
                .hasValueSatisfying(c -> assertThat(c).contains("5.5"));
    }

    @Test
    void aValueThatCannotFitNamesTheStepsParameterAndSaysHowToWriteIt() {
        Plan plan = plan("""
                - [ ] Read notes by a renamed parameter written as plain text
                  - action: read_many
                  - files: %1$s/a.md, %1$s/b.md
                - [ ] Add a word
                  - action: add
                  - a: two
                  - b: 3
                """.formatted(root));
        CheckReport report;
        try (McpPlanOrchestrator orchestrator = orchestrator()) {
            report = orchestrator.check(plan);
        }

        assertThat(report.problems()).extracting(Problem::code).containsOnly(Problem.Code.INVALID_PARAMETER);
        assertThat(report.problems().get(0).message())
                .contains("the parameter 'files' (the tool's 'paths') must be a list")
                .contains("[first, second]")
                .contains("fenced yaml block");
        assertThat(report.problems().get(1).message())
                .contains("the parameter 'a' must be a number")
                .contains("a number such as 4.5");
    }
}
