package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.testing.KilledHost;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.stdio.ProcessTable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers die with their host, even a host killed by SIGKILL (no shutdown hook runs), and even a
 * server that does not exit when its stdin closes: the reference {@code server-everything} behind a
 * shell, busy with a long-running operation. The host's watchdog ends them at once; when the watchdog was killed too, the next host to
 * start a server ends them, by the pid and start time recorded in the state directory.
 */
class HostDeathTest {
    @TempDir
    Path stateDirectory;

    private final List<Process> hosts = new ArrayList<>();

    @AfterEach
    void killHosts() {
        hosts.forEach(Process::destroyForcibly);
    }

    /** A started {@link KilledHost}, with the pids of its server tree and of its watchdog. */
    private record Host(Process process, List<Long> tree, long watchdog) {}

    private Host startHost() throws IOException {
        assertThat(Servers.EVERYTHING)
                .as("the build installs server-everything with npm (orchestrator-core/pom.xml)")
                .exists();
        Process process = new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        KilledHost.class.getName(),
                        stateDirectory.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        hosts.add(process);
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<Long> tree = List.of();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("TREE ")) {
                tree = Arrays.stream(line.substring(5).split(" "))
                        .map(Long::parseLong)
                        .toList();
            } else if (line.startsWith("WATCHDOG ")) {
                return new Host(process, tree, Long.parseLong(line.substring(9)));
            }
        }
        throw new AssertionError("the host exited with " + waitFor(process) + " before it reported its servers");
    }

    private static int waitFor(Process process) {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
            return process.exitValue();
        } catch (InterruptedException | IllegalThreadStateException e) {
            return -1;
        }
    }

    private static void sigkill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Test
    void aHostKilledBySigkillTakesItsServerTreeAlong() throws Exception {
        Host host = startHost();
        assertThat(host.tree()).as("shell and node").hasSizeGreaterThanOrEqualTo(2);
        assertThat(host.watchdog()).as("the watchdog's pid").isPositive();

        sigkill(host.process().pid());
        assertThat(host.process().waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(ProcessTable.survivors(host.tree(), 10_000))
                .as("server processes still running after the host was killed")
                .isEmpty();
        assertThat(ProcessTable.survivors(List.of(host.watchdog()), 10_000))
                .as("the watchdog ends after its work")
                .isEmpty();
    }

    @Test
    void theNextHostEndsWhatAKilledHostLeftWhenItsWatchdogWasKilledToo() throws Exception {
        Host dead = startHost();
        sigkill(dead.watchdog());
        assertThat(ProcessTable.survivors(List.of(dead.watchdog()), 5_000)).isEmpty();
        sigkill(dead.process().pid());
        assertThat(dead.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(3_000);
        assertThat(ProcessTable.survivors(dead.tree(), 0))
                .as("without host and watchdog, server-everything keeps running though its stdin closed")
                .containsExactlyInAnyOrderElementsOf(dead.tree());

        Host next = startHost();

        assertThat(ProcessTable.survivors(dead.tree(), 10_000))
                .as("the dead host's servers after the next host started one")
                .isEmpty();
        assertThat(ProcessTable.survivors(next.tree(), 0))
                .as("the next host's own servers")
                .containsExactlyInAnyOrderElementsOf(next.tree());
        sigkill(next.process().pid());
        assertThat(ProcessTable.survivors(next.tree(), 10_000)).isEmpty();
    }
}
