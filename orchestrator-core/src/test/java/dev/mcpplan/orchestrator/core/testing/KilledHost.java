package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.stdio.ProcessTable;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A host that runs {@code server-everything} behind a shell (as {@code npx} would run it): an echo,
 * then, on a thread of its own, a long-running operation of ten minutes that reports no progress
 * before its end. That call keeps node running after its stdin closes, and silent (a server that
 * writes to a closed stdout dies of it). The host prints the pids of its server tree ({@code TREE
 * ...}) and of its stdio watchdog ({@code WATCHDOG pid}), then waits to be killed. Argument: the state
 * directory.
 */
public final class KilledHost {
    private KilledHost() {}

    public static void main(String[] args) throws InterruptedException {
        McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .server(Servers.everything("everything", true))
                .mapping(Servers.everythingTo("everything"))
                .stateDirectory(Path.of(args[0]))
                .discoverPlugins(KilledHost.class.getClassLoader())
                .build();
        if (!orchestrator
                .execute(Servers.oneStep("echo", Map.of("message", "hi")))
                .completed()) {
            System.exit(2);
        }
        Thread longCall = new Thread(() -> orchestrator.execute(
                Servers.oneStep("trigger-long-running-operation", Map.of("duration", "600", "steps", "1"))));
        longCall.setDaemon(true);
        longCall.start();
        Thread.sleep(1_000); // the request is on its way
        System.out.println("TREE "
                + ProcessTable.descendantsOfThisJvm().stream()
                        .map(String::valueOf)
                        .collect(Collectors.joining(" ")));
        System.out.println("WATCHDOG "
                + ProcessTable.watchdogOf(ProcessHandle.current().pid()).orElse(-1L));
        System.out.flush();
        Thread.sleep(600_000);
    }
}
