package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Definitions of real test servers, started as processes from this JVM's class path. */
public final class Servers {
    private Servers() {
    }

    /** The java binary running this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A {@link FaultServer} named {@code name}, with extra start options. */
    public static ServerDefinition faultServer(String name, String... options) {
        List<String> args = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", FaultServer.class.getName()));
        args.addAll(List.of(options));
        return ServerDefinition.builder(name, ServerDefinition.STDIO).command(java()).args(args).build();
    }
}
