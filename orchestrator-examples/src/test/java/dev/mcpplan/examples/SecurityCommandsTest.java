package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.examples.cli.OrchestratorCli;
import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's {@code approve} and {@code verify-log} commands on real files. */
class SecurityCommandsTest {
    @TempDir
    Path dir;

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = OrchestratorCli.run(args);
            return exit + "\n" + out.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void verifyLogFindsTheLineSomeoneEditedInTheDemosAuditLog() throws IOException {
        Path vault = dir.resolve("vault");
        assertThat(OrchestratorCli.run("demo", "--dir", vault.toString())).isZero();
        assertThat(run("verify-log", vault.resolve("Logs").toString()))
                .startsWith("0\n")
                .contains(": intact (");

        Path log;
        try (Stream<Path> files = Files.list(vault.resolve("Logs"))) {
            log = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSizeGreaterThan(4);
        lines.set(3, lines.get(3).replace("\"actor\":\"mcp-orchestrator\"", "\"actor\":\"someone-else\""));
        assertThat(lines.get(3)).isNotEqualTo(Files.readAllLines(log).get(3));
        Files.write(log, lines);

        assertThat(run("verify-log", log.toString())).startsWith("1\n").contains("BROKEN, line 4");
    }

    @Test
    void approveSealsThePlanSoThatCheckAcceptsItAndAnEditIsCaught() throws IOException {
        Path vault = dir.resolve("vault");
        OrchestratorCli.run("demo", "--dir", vault.toString());
        Path plan = dir.resolve("plan.md");
        Files.writeString(plan, """
                ---
                status: pending
                ---
                # Read a note
                ## Steps
                - [ ] Read from vault Clients/acme.md
                """);

        assertThat(run(
                        "approve",
                        plan.toString(),
                        "--as",
                        "boss@company.com",
                        "--expires-in",
                        "2h", // the forms the configuration takes
                        "--actions",
                        "read_vault"))
                .startsWith("0\n")
                .contains("approval_hash: v2:sha256:");
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            Approval approval = orchestrator.parse(plan).approval();
            assertThat(Duration.between(
                            approval.approvedAt().orElseThrow(),
                            approval.expiresAt().orElseThrow()))
                    .isEqualTo(Duration.ofHours(2));
        }
        assertThat(Files.readString(plan)).contains("status: approved").contains("approved_actions: read_vault");
        assertThat(OrchestratorCli.run(
                        "check",
                        plan.toString(),
                        "--config",
                        vault.resolve("mcp.json").toString()))
                .isZero();

        Files.writeString(plan, Files.readString(plan).replace("Clients/acme.md", "Clients/other.md"));
        assertThat(run(
                        "check",
                        plan.toString(),
                        "--config",
                        vault.resolve("mcp.json").toString()))
                .startsWith("1\n")
                .contains("APPROVAL_MISMATCH");
    }
}
