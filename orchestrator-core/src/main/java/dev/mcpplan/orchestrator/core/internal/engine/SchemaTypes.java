package dev.mcpplan.orchestrator.core.internal.engine;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Gives parameters written as text in a Markdown plan ({@code - ms: 150}) the type the tool's input
 * schema asks for: a top-level property of type {@code integer}, {@code number} or {@code boolean}
 * whose value is text that reads as one becomes one. Anything else stays as written, for the schema
 * validation to judge; text is never turned into a number where the schema allows text (a phone number
 * or a postcode keeps its leading zeros).
 */
final class SchemaTypes {
    private SchemaTypes() {}

    static Map<String, Object> coerce(Map<String, Object> schema, Map<String, Object> arguments) {
        if (!(schema.get("properties") instanceof Map<?, ?> properties)) {
            return arguments;
        }
        Map<String, Object> out = new LinkedHashMap<>(arguments);
        arguments.forEach((name, value) -> {
            if (value instanceof String text
                    && properties.get(name) instanceof Map<?, ?> property
                    && property.get("type") instanceof String type) {
                out.put(name, typed(type, text.strip(), value));
            }
        });
        return out;
    }

    private static Object typed(String type, String text, Object asWritten) {
        try {
            return switch (type) {
                case "integer" -> text.matches("[-+]?\\d{1,18}") ? Long.valueOf(text) : asWritten;
                case "number" -> text.matches("[-+]?\\d+(\\.\\d+)?([eE][-+]?\\d+)?") ? new BigDecimal(text) : asWritten;
                case "boolean" ->
                    switch (text.toLowerCase(Locale.ROOT)) {
                        case "true", "yes" -> Boolean.TRUE;
                        case "false", "no" -> Boolean.FALSE;
                        default -> asWritten;
                    };
                default -> asWritten;
            };
        } catch (NumberFormatException e) {
            return asWritten;
        }
    }
}
