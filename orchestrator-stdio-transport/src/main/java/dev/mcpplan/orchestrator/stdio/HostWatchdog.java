package dev.mcpplan.orchestrator.stdio;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One small {@code sh} process per JVM that ends the registered server process groups when the JVM
 * dies, however it dies: it reads {@code add PID} and {@code del PID} lines from a pipe whose only
 * writer is this JVM, and at end of file (the JVM is gone, even by SIGKILL, when no shutdown hook
 * runs) sends SIGTERM, then a second later SIGKILL, to each group still registered and its leader.
 *
 * <p>The watchdog is a child of the JVM in a session of its own, so that a signal to the JVM's process
 * group does not take it along; its command line shows {@link #NAME} and the JVM's pid. Each server
 * runs in a session of its own too ({@link #sessionCommand()}), so its group holds everything it
 * started, {@code npx}'s node included.
 *
 * <p>Where there is no {@code sh} (Windows), there is no watchdog: only the shutdown hook and the
 * state file of {@link ProcessRecords} remain. Thread-safe.
 */
final class HostWatchdog {
    private static final Logger LOG = LoggerFactory.getLogger(HostWatchdog.class);
    /** The name the watchdog shows in the process table ({@code $0}), followed by the JVM's pid. */
    static final String NAME = "mcp-stdio-watchdog";

    private static final String SCRIPT = """
            trap '' INT HUP TERM PIPE
            g=' '
            while read -r op pid; do
              case $op in
                add) g="$g$pid " ;;
                del) case $g in *" $pid "*) g="${g%% $pid *} ${g#* $pid }" ;; esac ;;
              esac
            done
            for p in $g; do [ "$p" -gt 1 ] && kill -s TERM -- "-$p" "$p" 2>/dev/null; done
            sleep 1
            for p in $g; do [ "$p" -gt 1 ] && kill -s KILL -- "-$p" "$p" 2>/dev/null; done
            """;
    private static final Optional<String> SETSID = find("setsid");
    private static final Optional<String> SH = find("sh");
    private static Writer pipe;
    private static boolean tried;

    private HostWatchdog() {}

    /**
     * The words to put before a server's command so that it starts in a session (and process group)
     * of its own; empty where {@code setsid} is missing. {@code --wait} keeps the pid the server's
     * should {@code setsid} have to fork.
     */
    static List<String> sessionCommand() {
        return SETSID.map(s -> List.of(s, "--wait")).orElse(List.of());
    }

    /** Registers a server process (the leader of its group) to be ended when the JVM dies. */
    static synchronized void add(long pid) {
        send("add " + pid);
    }

    /** Forgets a server process that ended or was ended. */
    static synchronized void remove(long pid) {
        send("del " + pid);
    }

    private static void send(String line) {
        if (!tried) {
            tried = true;
            pipe = start();
        }
        if (pipe == null) {
            return;
        }
        try {
            pipe.write(line + "\n");
            pipe.flush();
        } catch (IOException e) {
            LOG.warn(
                    "the stdio watchdog is gone ({}); servers of this JVM now end only with its shutdown",
                    e.toString());
            pipe = null;
        }
    }

    private static Writer start() {
        if (SH.isEmpty()) {
            return null;
        }
        List<String> command = new ArrayList<>(sessionCommand());
        command.addAll(List.of(
                SH.get(),
                "-c",
                SCRIPT,
                NAME,
                Long.toString(ProcessHandle.current().pid())));
        try {
            Process p = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            LOG.debug("stdio watchdog started as process {}", p.pid());
            return new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.warn(
                    "could not start the stdio watchdog ({}); servers of this JVM end only with its shutdown",
                    e.toString());
            return null;
        }
    }

    private static Optional<String> find(String program) {
        if (System.getProperty("os.name", "").startsWith("Windows")) {
            return Optional.empty();
        }
        for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }
}
