package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dropping the example plugin's jar on a host's class path is all it takes: no code, no configuration. */
class PluginJarTest {
    private static final Path CLASSES = Path.of("target/classes").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void theMeetingDetectorIsFoundOnlyWhenItsJarIsOnTheClassPath() throws Exception {
        Path jar = pluginJar();
        List<String> hostPath = Arrays.stream(
                        System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).toAbsolutePath().equals(CLASSES))
                .toList();

        assertThat(runHost(hostPath)).isEqualTo("internal by nobody {}");
        List<String> withPlugin = new ArrayList<>(hostPath);
        withPlugin.add(jar.toString());
        assertThat(runHost(withPlugin))
                .isEqualTo(
                        "calendar_event by calendar-meeting {title=Q4, start=2026-03-02T10:00:00, attendees=[Alice]}");
    }

    @Test
    void theMeetingDetectorIsFoundOnTheModulePathToo() throws Exception {
        Path jar = pluginJar();
        List<String> modules = new ArrayList<>();
        List<String> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (p.equals(CLASSES)) {
                continue;
            }
            boolean testOnly = p.toString().contains("test-classes")
                    || p.getFileName().toString().endsWith("-tests.jar")
                    || p.toString()
                            .matches(".*(junit|jqwik|mockito|assertj|opentest4j|apiguardian|byte-buddy|objenesis"
                                    + "|surefire).*");
            (testOnly ? classPath : modules).add(entry);
        }
        modules.add(jar.toString());
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--module-path",
                        String.join(File.pathSeparator, modules),
                        "--add-modules",
                        "ALL-MODULE-PATH",
                        "-cp",
                        String.join(File.pathSeparator, classPath),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                        PluginHost.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out)
                .endsWith(
                        "calendar_event by calendar-meeting {title=Q4, start=2026-03-02T10:00:00, attendees=[Alice]}");
    }

    private Path pluginJar() throws IOException {
        Path jar = dir.resolve("meeting-plugin.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(CLASSES.resolve("dev/mcpplan/examples/calendar"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(
                        new JarEntry(CLASSES.relativize(file).toString().replace(File.separatorChar, '/')));
                Files.copy(file, out);
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.mcpplan.orchestrator.spi.ActionDetector"));
            OutputStream entry = out;
            entry.write("dev.mcpplan.examples.calendar.MeetingDetector\n".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private String runHost(List<String> classPath) throws Exception {
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        String.join(File.pathSeparator, classPath),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                        PluginHost.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        return out;
    }
}
