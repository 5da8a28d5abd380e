package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gives parameters written as text in a Markdown plan the type the tool's input schema asks for, at
 * any depth: {@code - ms: 150} becomes a number, {@code - names: [Alice, Bob]} a list, {@code - filter:
 * {"a": 1}} an object, and the items and properties of lists and objects (from inline values or from a
 * fenced {@code yaml} block, whose scalars are read as text) are typed by the schema's {@code items}
 * and {@code properties} in turn. A schema that allows several types ({@code type: [string, number]},
 * {@code anyOf}, {@code oneOf}) is served by the first that fits, in the order integer, number,
 * boolean, array, object; text stays text wherever the schema allows text (a phone number or a
 * postcode keeps its leading zeros). A value that cannot be made to fit becomes a misfit that names
 * the parameter as the step wrote it and says how to write it; anything the schema does not type is
 * left for the schema validation to judge.
 */
final class SchemaTypes {
    private static final List<String> ORDER = List.of("integer", "number", "boolean", "array", "object");

    private SchemaTypes() {}

    /**
     * The arguments as typed, and what could not be made to fit.
     *
     * @param misfits one message per value that does not fit, naming the step's parameter
     */
    record Typed(Map<String, Object> arguments, List<String> misfits) {}

    /**
     * @param renames the route's renames, from the step's parameter names to the tool's
     */
    static Typed coerce(Map<String, Object> schema, Map<String, Object> arguments, Map<String, String> renames) {
        if (!(schema.get("properties") instanceof Map<?, ?> properties)) {
            return new Typed(arguments, List.of());
        }
        Map<String, String> stepNames = new LinkedHashMap<>();
        renames.forEach((step, tool) -> stepNames.put(tool, step));
        Map<String, Object> out = new LinkedHashMap<>(arguments);
        List<String> misfits = new ArrayList<>();
        arguments.forEach((name, value) -> {
            if (properties.get(name) instanceof Map<?, ?> property) {
                try {
                    out.put(name, fit(value, property, ""));
                } catch (Misfit m) {
                    misfits.add(m.describe(name, stepNames.getOrDefault(name, name)));
                }
            }
        });
        return new Typed(out, misfits);
    }

    private static Object fit(Object value, Map<?, ?> schema, String path) {
        Set<String> types = types(schema);
        if (types.isEmpty() || value == null) {
            return value;
        }
        if (value instanceof String text) {
            if (types.contains("string")) {
                return text;
            }
            for (String type : ORDER) {
                if (types.contains(type)) {
                    Optional<Object> typed = parse(type, text.strip(), member(schema, type), path);
                    if (typed.isPresent()) {
                        return typed.get();
                    }
                }
            }
            throw new Misfit(path, types, "text that does not read as " + describe(types));
        }
        if (value instanceof List<?> list) {
            if (!types.contains("array")) {
                throw new Misfit(path, types, "a list");
            }
            return items(list, member(schema, "array"), path);
        }
        if (value instanceof Map<?, ?> map) {
            if (!types.contains("object")) {
                throw new Misfit(path, types, "key: value pairs");
            }
            return properties(map, member(schema, "object"), path);
        }
        return value; // a number or boolean from a plan built in code: the validation judges it
    }

    private static Optional<Object> parse(String type, String text, Map<?, ?> schema, String path) {
        return switch (type) {
            case "integer" -> text.matches("[-+]?\\d{1,18}") ? Optional.of(Long.valueOf(text)) : Optional.empty();
            case "number" ->
                text.matches("[-+]?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")
                        ? Optional.of(new BigDecimal(text))
                        : Optional.empty();
            case "boolean" ->
                switch (text.toLowerCase(Locale.ROOT)) {
                    case "true", "yes" -> Optional.of(Boolean.TRUE);
                    case "false", "no" -> Optional.of(Boolean.FALSE);
                    default -> Optional.empty();
                };
            case "array" -> inline(text, '[', List.class).map(list -> items(list, schema, path));
            case "object" -> inline(text, '{', Map.class).map(map -> properties(map, schema, path));
            default -> Optional.empty();
        };
    }

    private static <T> Optional<T> inline(String text, char opening, Class<T> kind) {
        if (text.isEmpty() || text.charAt(0) != opening) {
            return Optional.empty();
        }
        try {
            Object value = PlanParser.inlineValue(text);
            return kind.isInstance(value) ? Optional.of(kind.cast(value)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static List<Object> items(Collection<?> list, Map<?, ?> schema, String path) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        for (Object item : list) {
            out.add(schema.get("items") instanceof Map<?, ?> items ? fit(item, items, path + "[" + i + "]") : item);
            i++;
        }
        return out;
    }

    private static Map<String, Object> properties(Map<?, ?> map, Map<?, ?> schema, String path) {
        Map<?, ?> properties = schema.get("properties") instanceof Map<?, ?> p ? p : Map.of();
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            String key = String.valueOf(k);
            out.put(key, properties.get(key) instanceof Map<?, ?> property ? fit(v, property, path + "." + key) : v);
        });
        return out;
    }

    /** The types a schema allows: its {@code type} (one or a list) and those of its anyOf/oneOf members. */
    private static Set<String> types(Map<?, ?> schema) {
        Set<String> types = new LinkedHashSet<>();
        Object type = schema.get("type");
        if (type instanceof String t) {
            types.add(t);
        } else if (type instanceof Collection<?> list) {
            list.forEach(t -> types.add(String.valueOf(t)));
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.get(combinator) instanceof Collection<?> members) {
                for (Object member : members) {
                    if (member instanceof Map<?, ?> m) {
                        Set<String> inner = types(m);
                        if (inner.isEmpty()) {
                            return Set.of(); // a member without a type allows anything
                        }
                        types.addAll(inner);
                    }
                }
            }
        }
        return types;
    }

    /** The part of the schema that describes values of {@code type}: itself, or its anyOf/oneOf member. */
    private static Map<?, ?> member(Map<?, ?> schema, String type) {
        Object own = schema.get("type");
        if (type.equals(own) || own instanceof Collection<?> list && list.contains(type)) {
            return schema;
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.get(combinator) instanceof Collection<?> members) {
                for (Object m : members) {
                    if (m instanceof Map<?, ?> candidate && types(candidate).contains(type)) {
                        return member(candidate, type);
                    }
                }
            }
        }
        return schema;
    }

    private static String describe(Set<String> types) {
        List<String> words = new ArrayList<>();
        for (String type : types) {
            words.add(
                    switch (type) {
                        case "integer" -> "a whole number";
                        case "number" -> "a number";
                        case "boolean" -> "true or false";
                        case "array" -> "a list";
                        case "object" -> "key: value pairs";
                        case "null" -> "nothing";
                        default -> type;
                    });
        }
        return String.join(" or ", words);
    }

    private static String howToWrite(Set<String> types) {
        List<String> ways = new ArrayList<>();
        if (types.contains("integer") || types.contains("number")) {
            ways.add(types.contains("integer") ? "a whole number such as 42" : "a number such as 4.5");
        }
        if (types.contains("boolean")) {
            ways.add("true or false");
        }
        if (types.contains("array")) {
            ways.add("a list written inline as [first, second], or as a fenced yaml block under the step"
                    + " (```yaml, then the name and one '- item' line per item, then ```)");
        }
        if (types.contains("object")) {
            ways.add("an object written inline as {key: value}, or as a fenced yaml block under the step"
                    + " (```yaml, then the name and indented key: value lines, then ```)");
        }
        if (types.contains("string")) {
            ways.add("text");
        }
        return String.join("; or ", ways);
    }

    /** A value that cannot be made to fit, found at {@code path} within a parameter. */
    private static final class Misfit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String path;
        private final transient Set<String> types;
        private final String found;

        Misfit(String path, Set<String> types, String found) {
            super(null, null, false, false);
            this.path = path;
            this.types = Collections.unmodifiableSet(new LinkedHashSet<>(types));
            this.found = found;
        }

        String describe(String toolName, String stepName) {
            String name = "'" + stepName + "'" + (stepName.equals(toolName) ? "" : " (the tool's '" + toolName + "')");
            return "the parameter " + name
                    + (path.isEmpty() ? "" : " at " + path.substring(path.charAt(0) == '.' ? 1 : 0)) + " must be "
                    + SchemaTypes.describe(types) + ", but is " + found + "; write " + howToWrite(types);
        }
    }
}
