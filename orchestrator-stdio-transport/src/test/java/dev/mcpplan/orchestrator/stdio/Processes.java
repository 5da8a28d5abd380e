package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Test servers started from this JVM's class path. */
final class Processes {
    private Processes() {}

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The command line that starts a {@link ScriptServer} with {@code options}. */
    static List<String> scriptServerCommand(String... options) {
        List<String> command = new ArrayList<>(
                List.of(java(), "-cp", System.getProperty("java.class.path"), ScriptServer.class.getName()));
        command.addAll(List.of(options));
        return command;
    }

    static ServerDefinition scriptServer(String name, String... options) {
        List<String> command = scriptServerCommand(options);
        return ServerDefinition.builder(name, ServerDefinition.STDIO)
                .command(command.get(0))
                .args(command.subList(1, command.size()))
                .build();
    }

    /**
     * A script server behind a shell that ignores SIGTERM (and so do its children) and has a
     * background {@code sleep} of its own: only SIGKILL of the whole tree ends it.
     */
    static ServerDefinition stubbornWrappedServer(String name) {
        String server = scriptServerCommand().stream().map(a -> "'" + a + "'").collect(Collectors.joining(" "));
        return ServerDefinition.builder(name, ServerDefinition.STDIO)
                .command("sh")
                .args(List.of("-c", "trap '' TERM; sleep 300 & " + server + "; wait"))
                .build();
    }
}
