package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import dev.mcpplan.orchestrator.jdbc.JdbcAuditSink;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import dev.mcpplan.orchestrator.spi.PlanStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code run --vault DIR} or {@code run --store URL}: executes every plan that appears in the vault's
 * {@code Approved/} folder, or in the queue of a JDBC plan store shared with other instances.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Watches the vault's Approved/ folder (claimed into In_Progress/, then Done/ or Failed/),"
                + " or the queue of a JDBC plan store (--store), and executes each plan that appears.")
final class RunCommand implements Callable<Integer> {
    @ArgGroup(multiplicity = "1")
    Where where;

    /** A vault, or a JDBC plan store. */
    static final class Where {
        @ArgGroup(exclusive = false)
        Vault vault;

        @ArgGroup(exclusive = false)
        StoreOptions store;
    }

    /** The vault's options. */
    static final class Vault {
        @Option(names = "--vault", paramLabel = "DIR", required = true, description = "the vault folder")
        Path dir;

        @Option(
                names = "--create",
                description = "create the vault folder (and its Approved/, Done/, ... folders) if it does not exist")
        boolean create;
    }

    @Mixin
    ConfigOptions config;

    /** The key of a JDBC store's audit chain (a vault's takes the configuration's approval key). */
    @Mixin
    SigningKeyOption signingKey;

    @Option(names = "--once", description = "process what is there now, then exit")
    boolean once;

    @Option(
            names = "--poll",
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = DurationConverter.class,
            description = "the longest wait between looks for new plans (30s, 2m, ISO-8601 PT30S ...; default 5s)")
    Duration poll;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Vault vault = where.vault;
        if (vault != null && !vault.create && !Files.isDirectory(vault.dir)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: the vault folder " + vault.dir.toAbsolutePath().normalize()
                    + " does not exist; check --vault, or add --create to start a new vault there");
            err.flush();
            return 2;
        }
        if (vault != null) {
            try (McpPlanOrchestrator orchestrator =
                            config.builder().auditLog(vault.dir.resolve("Logs")).build();
                    VaultPlanStore store = orchestrator.openVault(vault.dir)) {
                return loop(orchestrator, store);
            }
        }
        try (JdbcPlanStore store = where.store.open(System.getenv());
                McpPlanOrchestrator orchestrator = config.builder()
                        .auditSink(new JdbcAuditSink(store, signingKey.key()))
                        .build()) {
            return loop(orchestrator, store);
        }
    }

    private int loop(McpPlanOrchestrator orchestrator, PlanStore store) throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        boolean allCompleted = true;
        if (!once) {
            store.awaitChange(Duration.ZERO); // watching from before the first look, so no arrival is missed
        }
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
        return allCompleted ? 0 : 1;
    }
}
