package dev.mcpplan.orchestrator.spi;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Deep, order-keeping, immutable copies of JSON-like values: maps with string keys, lists, strings,
 * numbers, booleans. Step parameters and tool arguments are such values.
 *
 * <p>Thread-safe: stateless.
 */
public final class JsonValues {
    private JsonValues() {}

    /**
     * Copies a parameter map: keys keep their order; nested maps and lists are copied too; the result
     * and everything in it is unmodifiable.
     *
     * @throws NullPointerException if the map, a key or a value is null
     * @throws IllegalArgumentException if a value is not JSON-like
     */
    public static Map<String, Object> copyOf(Map<String, ?> map) {
        Objects.requireNonNull(map, "map");
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"), copyValue(key, value)));
        return Collections.unmodifiableMap(copy);
    }

    private static Object copyValue(String key, Object value) {
        if (value == null) {
            throw new NullPointerException("value of '" + key + "'");
        }
        if (value instanceof String
                || value instanceof Boolean
                || value instanceof Integer
                || value instanceof Long
                || value instanceof Double
                || value instanceof BigDecimal
                || value instanceof BigInteger
                || value instanceof Float
                || value instanceof Short
                || value instanceof Byte) {
            return value;
        }
        if (value instanceof Map<?, ?> nested) {
            Map<String, Object> copy = new LinkedHashMap<>();
            nested.forEach((k, v) -> {
                if (!(k instanceof String name)) {
                    throw new IllegalArgumentException("key of '" + key + "' is not a string: " + k);
                }
                copy.put(name, copyValue(name, v));
            });
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof Collection<?> items) {
            List<Object> copy = new ArrayList<>(items.size());
            for (Object item : items) {
                copy.add(copyValue(key, item));
            }
            return Collections.unmodifiableList(copy);
        }
        throw new IllegalArgumentException("value of '" + key + "' is not a JSON value: "
                + value.getClass().getName());
    }
}
