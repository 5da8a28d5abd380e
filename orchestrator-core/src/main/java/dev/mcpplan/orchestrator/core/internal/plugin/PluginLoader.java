package dev.mcpplan.orchestrator.core.internal.plugin;

import dev.mcpplan.orchestrator.ConfigurationException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * Combines explicitly registered plugins with those {@link ServiceLoader} finds through one class
 * loader (class path and module path), in a deterministic order: priority (higher first), then id.
 *
 * <p>A provider that fails to load is logged with its class name and skipped; it does not stop the
 * others. When no SLF4J provider is on the class path (SLF4J falls back to its no-operation logger and
 * the warning would vanish), the warning goes to {@link System#err} instead. Two different providers with the same id are a {@link ConfigurationException} naming both
 * classes. The same class registered explicitly and also discovered counts once (the explicit one).
 *
 * @param <T> the plugin interface
 */
public final class PluginLoader<T> {
    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);

    private final Class<T> spi;
    private final Function<T, String> idOf;
    private final ToIntFunction<T> priorityOf;
    private final String idName;
    private final Consumer<String> warnings;

    /**
     * @param spi the plugin interface
     * @param idName what the id is called in messages ("id", "transport type")
     */
    public PluginLoader(Class<T> spi, String idName, Function<T, String> idOf, ToIntFunction<T> priorityOf) {
        this(spi, idName, idOf, priorityOf, warningSink(LoggerFactory.getILoggerFactory(), System.err));
    }

    /**
     * Where warnings go: the SLF4J log, or {@code err} when SLF4J found no provider and would drop them.
     */
    static Consumer<String> warningSink(ILoggerFactory factory, PrintStream err) {
        if (factory instanceof NOPLoggerFactory) {
            return message -> err.println("mcp-orchestrator WARN " + message
                    + " [printed here because no SLF4J provider is on the class path; add one, such as"
                    + " org.slf4j:slf4j-simple, to get the library's log]");
        }
        return LOG::warn;
    }

    /** As the other constructor, with the warnings about skipped providers going to {@code warnings}. */
    PluginLoader(
            Class<T> spi,
            String idName,
            Function<T, String> idOf,
            ToIntFunction<T> priorityOf,
            Consumer<String> warnings) {
        this.spi = spi;
        this.idName = idName;
        this.idOf = idOf;
        this.priorityOf = priorityOf;
        this.warnings = warnings;
    }

    /**
     * @param explicit plugins registered on the builder
     * @param loader where to discover more, or empty for explicit plugins only
     * @return every plugin, ordered
     * @throws ConfigurationException if two different providers claim one id
     */
    public List<T> load(List<T> explicit, Optional<ClassLoader> loader) {
        return load(explicit, loader.stream().toList());
    }

    /**
     * As {@link #load(List, Optional)}, discovering through each of {@code loaders}; a provider class
     * that several of them find counts once.
     */
    public List<T> load(List<T> explicit, List<ClassLoader> loaders) {
        Map<String, T> byId = new LinkedHashMap<>();
        for (T plugin : explicit) {
            add(byId, plugin, "registered on the builder");
        }
        for (ClassLoader cl : loaders) {
            discover(cl).forEach(p -> {
                T known = byId.get(idOf.apply(p));
                if (known == null
                        || !known.getClass().getName().equals(p.getClass().getName())) {
                    add(byId, p, "found by ServiceLoader");
                }
            });
        }
        List<T> ordered = new ArrayList<>(byId.values());
        ordered.sort(Comparator.comparingInt(priorityOf).reversed().thenComparing(idOf));
        return ordered;
    }

    private void add(Map<String, T> byId, T plugin, String how) {
        String id = idOf.apply(plugin);
        if (id == null || id.isBlank()) {
            throw new ConfigurationException(
                    spi.getSimpleName() + " " + plugin.getClass().getName() + " (" + how + ") has no " + idName);
        }
        T other = byId.putIfAbsent(id, plugin);
        if (other != null) {
            throw new ConfigurationException("two " + spi.getSimpleName() + " providers claim the " + idName + " '"
                    + id + "': " + other.getClass().getName() + " and "
                    + plugin.getClass().getName() + " (" + how
                    + "); remove one of them from the class path or the builder");
        }
    }

    private List<T> discover(ClassLoader loader) {
        List<T> found = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(spi, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                warnings.accept("skipped a " + spi.getName() + " provider that failed to load: " + describe(e));
            }
        }
        return found;
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            s.append(" (caused by ").append(c).append(')');
        }
        return s.toString();
    }
}
