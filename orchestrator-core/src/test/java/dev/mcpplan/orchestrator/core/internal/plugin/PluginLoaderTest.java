package dev.mcpplan.orchestrator.core.internal.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginLoaderTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();
    private final PluginLoader<ActionDetector> loader =
            new PluginLoader<>(ActionDetector.class, "id", ActionDetector::id, ActionDetector::priority, warnings::add);

    /** A class loader whose only service file lists the given provider classes (loaded from the test class path). */
    private ClassLoader withProviders(String... classNames) throws IOException {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(ActionDetector.class.getName()), String.join("\n", classNames) + "\n");
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
    }

    @Test
    void zeroProvidersGivesOnlyTheExplicitOnes() throws IOException {
        ActionDetector explicit = new Named("explicit-one", 5);
        List<ActionDetector> loaded = loader.load(List.of(explicit), Optional.of(withProviders()));
        assertThat(loaded).containsExactly(explicit);
        assertThat(warnings).isEmpty();
    }

    @Test
    void oneProviderIsFoundAndOrderedByPriorityThenId() throws IOException {
        List<ActionDetector> loaded = loader.load(
                List.of(new Named("b-low", 1), new Named("a-low", 1)),
                Optional.of(withProviders(HighPriority.class.getName())));
        assertThat(loaded).extracting(ActionDetector::id).containsExactly("high", "a-low", "b-low");
    }

    @Test
    void twoProvidersClaimingOneIdAreAnErrorNamingBoth() throws IOException {
        ClassLoader cl = withProviders(HighPriority.class.getName(), AlsoHigh.class.getName());
        assertThatThrownBy(() -> loader.load(List.of(), Optional.of(cl)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("two ActionDetector providers claim the id 'high': " + HighPriority.class.getName()
                        + " and " + AlsoHigh.class.getName()
                        + " (found by ServiceLoader); remove one of them from the class path or the builder");
    }

    @Test
    void aBrokenProviderIsSkippedWithAWarningNamingItAndTheOthersStillLoad() throws IOException {
        ClassLoader cl = withProviders(Broken.class.getName(), HighPriority.class.getName());
        List<ActionDetector> loaded = loader.load(List.of(), Optional.of(cl));
        assertThat(loaded).extracting(ActionDetector::id).containsExactly("high");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
                .startsWith("skipped a dev.mcpplan.orchestrator.spi.ActionDetector provider that failed to load: ")
                .contains(Broken.class.getName())
                .contains("no licence key");
    }

    @Test
    void aMissingProviderClassIsSkippedWithAWarningNamingIt() throws IOException {
        List<ActionDetector> loaded = loader.load(
                List.of(), Optional.of(withProviders("com.example.NotThere", HighPriority.class.getName())));
        assertThat(loaded).extracting(ActionDetector::id).containsExactly("high");
        assertThat(warnings).singleElement().asString().contains("com.example.NotThere");
    }

    @Test
    void theSameClassRegisteredAndDiscoveredCountsOnce() throws IOException {
        HighPriority explicit = new HighPriority();
        List<ActionDetector> loaded =
                loader.load(List.of(explicit), Optional.of(withProviders(HighPriority.class.getName())));
        assertThat(loaded).containsExactly(explicit);
    }

    @Test
    void withoutDiscoveryTheClassPathIsNotSearched() throws IOException {
        withProviders(HighPriority.class.getName());
        assertThat(loader.load(List.of(), Optional.empty())).isEmpty();
    }

    @Test
    void aBrokenProviderIsReportedOnStandardErrorWhenNoSlf4jProviderIsOnTheClassPath()
            throws IOException, InterruptedException {
        withProviders(Broken.class.getName(), HighPriority.class.getName());
        String classPath = java.util.Arrays.stream(
                        System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.contains("slf4j-simple"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        Process host = new ProcessBuilder(
                        dev.mcpplan.orchestrator.core.testing.Servers.java(),
                        "-cp",
                        classPath,
                        dev.mcpplan.orchestrator.core.testing.NoLoggerHost.class.getName(),
                        dir.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(host.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(host.waitFor()).as(output).isZero();
        assertThat(output)
                .contains("SLF4J")
                .contains("mcp-orchestrator WARN skipped a dev.mcpplan.orchestrator.spi.ActionDetector provider"
                        + " that failed to load: ")
                .contains(Broken.class.getName())
                .contains("add one, such as org.slf4j:slf4j-simple")
                .contains("built: McpPlanOrchestrator");
    }

    @Test
    void withAnSlf4jProviderWarningsGoToTheLogNotToStandardError() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        PluginLoader.warningSink(
                        org.slf4j.LoggerFactory.getILoggerFactory(),
                        new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8))
                .accept("a warning");
        PluginLoader.warningSink(
                        new org.slf4j.helpers.NOPLoggerFactory(),
                        new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8))
                .accept("another warning");
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .doesNotContain("a warning")
                .startsWith("mcp-orchestrator WARN another warning [printed here because no SLF4J provider");
    }

    @Test
    void aProviderClassThatSeveralClassLoadersFindCountsOnce() throws IOException {
        ClassLoader first = withProviders(HighPriority.class.getName());
        ClassLoader second =
                new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
        assertThat(loader.load(List.of(), List.of(first, second)))
                .extracting(ActionDetector::id)
                .containsExactly("high");
    }

    record Named(String id, int priority) implements ActionDetector {
        @Override
        public Optional<DetectedAction> detect(DetectionContext context) {
            return Optional.of(new DetectedAction(id, Map.of()));
        }
    }

    public static class HighPriority implements ActionDetector {
        @Override
        public String id() {
            return "high";
        }

        @Override
        public int priority() {
            return 500;
        }

        @Override
        public Optional<DetectedAction> detect(DetectionContext context) {
            return Optional.empty();
        }
    }

    public static class AlsoHigh extends HighPriority {}

    public static class Broken extends HighPriority {
        public Broken() {
            throw new IllegalStateException("no licence key");
        }
    }
}
