package dev.mcpplan.orchestrator.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Typing of Markdown parameters by schemas, with the shapes MCP servers publish. */
class SchemaTypesTest {
    private static Map<String, Object> schema(String name, Map<String, Object> property) {
        return Map.of("type", "object", "properties", Map.of(name, property));
    }

    private static Object typed(Map<String, Object> property, Object value) {
        SchemaTypes.Typed t = SchemaTypes.coerce(schema("p", property), Map.of("p", value), Map.of());
        assertThat(t.misfits()).isEmpty();
        return t.arguments().get("p");
    }

    @Test
    void inlineListsAndObjectsBecomeListsAndObjectsTypedByItemsAndProperties() {
        assertThat(typed(Map.of("type", "array", "items", Map.of("type", "string")), "[Alice, Bob]"))
                .isEqualTo(List.of("Alice", "Bob"));
        assertThat(typed(Map.of("type", "array", "items", Map.of("type", "integer")), "[1, 2, 3]"))
                .isEqualTo(List.of(1L, 2L, 3L));
        assertThat(typed(
                        Map.of(
                                "type",
                                "object",
                                "properties",
                                Map.of("a", Map.of("type", "number"), "b", Map.of("type", "boolean"))),
                        "{\"a\": 1, \"b\": \"yes\", \"c\": 007}"))
                .isEqualTo(Map.of("a", new BigDecimal("1"), "b", true, "c", "007"));
    }

    @Test
    void valuesFromAYamlBlockAreTypedAtEveryDepth() {
        Map<String, Object> edits = Map.of(
                "type",
                "array",
                "items",
                Map.of("type", "object", "properties", Map.of("line", Map.of("type", "integer"))));

        assertThat(typed(edits, List.of(Map.of("line", "12", "text", "x"))))
                .isEqualTo(List.of(Map.of("line", 12L, "text", "x")));
    }

    @Test
    void severalAllowedTypesTakeTheFirstThatFitsAndKeepTextWhereTextIsAllowed() {
        assertThat(typed(Map.of("type", List.of("string", "number")), "42")).isEqualTo("42");
        assertThat(typed(Map.of("type", List.of("number", "null")), "42")).isEqualTo(new BigDecimal("42"));
        Map<String, Object> listOrNumber = Map.of(
                "anyOf", List.of(Map.of("type", "number"), Map.of("type", "array", "items", Map.of("type", "number"))));
        assertThat(typed(listOrNumber, "2.5")).isEqualTo(new BigDecimal("2.5"));
        assertThat(typed(listOrNumber, "[1, 2]")).isEqualTo(List.of(new BigDecimal("1"), new BigDecimal("2")));
        Map<String, Object> flagOrObject =
                Map.of("oneOf", List.of(Map.of("type", "boolean"), Map.of("type", "object")));
        assertThat(typed(flagOrObject, "false")).isEqualTo(false);
        assertThat(typed(flagOrObject, "{a: b}")).isEqualTo(Map.of("a", "b"));
        assertThat(typed(Map.of("anyOf", List.of(Map.of("type", "integer"), Map.of())), "7"))
                .as("a member without a type allows anything: left as written")
                .isEqualTo("7");
    }

    /** The one misfit of a list parameter {@code name} of {@code itemType} given {@code value}. */
    private static String misfit(String name, String itemType, String value, Map<String, String> renames) {
        SchemaTypes.Typed t = SchemaTypes.coerce(
                schema(name, Map.of("type", "array", "items", Map.of("type", itemType))), Map.of(name, value), renames);
        assertThat(t.misfits()).hasSize(1);
        return t.misfits().get(0);
    }

    @Test
    void aMisfitNamesTheStepsParameterAndTheToolsAndSaysHowToWriteIt() {
        assertThat(misfit("paths", "string", "a.md, b.md", Map.of("files", "paths")))
                .contains("the parameter 'files' (the tool's 'paths') must be a list, but is text")
                .contains("[first, second]")
                .contains("fenced yaml block");
    }

    @Test
    void aMisfitDeepInsideSaysWhere() {
        assertThat(misfit("ids", "integer", "[1, two]", Map.of())).contains("'ids' at [1] must be a whole number");
    }

    @Property
    void textStaysAsWrittenWhereTheSchemaAllowsText(@ForAll String text) {
        assertThat(typed(Map.of("type", "string"), text)).isEqualTo(text);
        assertThat(typed(Map.of("type", List.of("integer", "string")), text)).isEqualTo(text);
    }
}
