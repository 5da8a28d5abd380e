package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.core.testing.ShutdownHost;
import dev.mcpplan.orchestrator.stdio.ProcessTable;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator ends every process it started, the whole tree of a wrapped server included, on
 * {@code close()} and on JVM shutdown without {@code close()}: checked in the process table.
 */
class ServerProcessLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void closeEndsTheWholeTreeOfAWrappedServer() throws InterruptedException {
        List<Long> before = ProcessTable.descendantsOfThisJvm();
        McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .server(Servers.wrappedFaultServer("fault"))
                .mapping(Servers.everythingTo("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir)
                .build();
        assertThat(orchestrator.execute(Servers.echoPlan()).completed()).isTrue();
        List<Long> started = new ArrayList<>(ProcessTable.descendantsOfThisJvm());
        started.removeAll(before);
        assertThat(started).as("shell, its sleep and the java server").hasSizeGreaterThanOrEqualTo(3);

        orchestrator.close();

        assertThat(ProcessTable.survivors(started, 2_000))
                .as("processes still running after close()")
                .isEmpty();
    }

    @Test
    void aJvmShutdownWithoutCloseEndsThemToo() throws Exception {
        Process host = new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-D" + McpPlanOrchestrator.Builder.STATE_PROPERTY + "=" + dir,
                        ShutdownHost.class.getName())
                .redirectErrorStream(true)
                .start();
        List<Long> tree = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("TREE ")) {
                    Arrays.stream(line.substring(5).split(" "))
                            .map(Long::parseLong)
                            .forEach(tree::add);
                }
            }
        }
        assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(host.exitValue()).isZero();
        assertThat(tree).as("shell, its sleep and the java server").hasSizeGreaterThanOrEqualTo(3);

        assertThat(ProcessTable.survivors(tree, 3_000))
                .as("processes still running after the host JVM exited")
                .isEmpty();
    }
}
