package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code run --vault DIR}: executes every plan that appears in the vault's {@code Approved/} folder. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Watches the vault's Approved/ folder and executes each plan that appears"
                + " (claimed into In_Progress/, then Done/ or Failed/).")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--vault", paramLabel = "DIR", required = true, description = "the vault folder")
    Path vault;

    @Option(
            names = "--create",
            description = "create the vault folder (and its Approved/, Done/, ... folders) if it does not exist")
    boolean create;

    @Mixin
    ConfigOptions config;

    @Option(names = "--once", description = "process what is there now, then exit")
    boolean once;

    @Option(
            names = "--poll",
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = DurationConverter.class,
            description = "the longest wait between looks at Approved/ (30s, 2m, ISO-8601 PT30S ...; default 5s)")
    Duration poll;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (!create && !Files.isDirectory(vault)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: the vault folder " + vault.toAbsolutePath().normalize()
                    + " does not exist; check --vault, or add --create to start a new vault there");
            err.flush();
            return 2;
        }
        boolean allCompleted = true;
        try (McpPlanOrchestrator orchestrator =
                        config.builder().auditLog(vault.resolve("Logs")).build();
                VaultPlanStore store = orchestrator.openVault(vault)) {
            do {
                List<PlanResult> results = orchestrator.processReady(store);
                for (PlanResult result : results) {
                    ResultPrinter.print(out, result, orchestrator::redact);
                    allCompleted &= result.completed();
                }
                if (!once) {
                    store.awaitChange(poll);
                }
            } while (!once);
        }
        return allCompleted ? 0 : 1;
    }
}
