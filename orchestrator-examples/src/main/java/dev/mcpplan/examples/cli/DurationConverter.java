package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.core.internal.config.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a duration option in the forms the configuration accepts: {@code 500ms}, {@code 30s}, {@code 2m},
 * {@code 2h}, {@code 7d}, ISO-8601 {@code PT2H}, or bare milliseconds.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
