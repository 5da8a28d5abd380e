package dev.mcpplan.orchestrator.core.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.Step;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class PlanParserPropertiesTest {
    /** A generated step: text, checked, parameters. */
    record GenStep(String text, boolean checked, Map<String, String> parameters) {}

    @Provide
    Arbitrary<List<GenStep>> plans() {
        Arbitrary<String> words =
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8);
        Arbitrary<String> text = words.list().ofMinSize(1).ofMaxSize(6).map(w -> String.join(" ", w));
        Arbitrary<Map<String, String>> params =
                Arbitraries.maps(words.map(w -> "p_" + w), text).ofMaxSize(3);
        return Combinators.combine(text, Arbitraries.of(true, false), params)
                .as(GenStep::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(8);
    }

    private static String render(String id, List<GenStep> steps) {
        StringBuilder md =
                new StringBuilder("---\nplan_id: " + id + "\nstatus: approved\n---\n# Generated\n\n## Steps\n");
        for (GenStep s : steps) {
            md.append("- [")
                    .append(s.checked() ? 'x' : ' ')
                    .append("] ")
                    .append(s.text())
                    .append('\n');
            s.parameters()
                    .forEach((k, v) ->
                            md.append("  - ").append(k).append(": ").append(v).append('\n'));
        }
        return md.toString();
    }

    @Property(tries = 300)
    void generatedPlansSurviveRenderThenParse(@ForAll("plans") List<GenStep> steps) {
        Plan plan = PlanParser.parse("gen.md", render("gen-1", steps).getBytes(StandardCharsets.UTF_8), null);
        assertThat(plan.id()).isEqualTo("gen-1");
        List<GenStep> back = new ArrayList<>();
        for (Step s : plan.steps()) {
            Map<String, String> params = new LinkedHashMap<>();
            s.parameters().forEach((k, v) -> params.put(k, String.valueOf(v)));
            back.add(new GenStep(s.text(), s.checked(), params));
        }
        assertThat(back).isEqualTo(steps);
    }

    @Property(tries = 1000)
    void arbitraryTextNeverThrowsAnythingButTheFormatException(@ForAll String text) {
        parseOrFormatError(text.getBytes(StandardCharsets.UTF_8));
        parseOrFormatError(("---\n" + text + "\n---\n## Steps\n- " + text + "\n  - " + text + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 500)
    void arbitraryBytesNeverThrowAnythingButTheFormatException(@ForAll byte[] bytes) {
        parseOrFormatError(bytes);
    }

    private static void parseOrFormatError(byte[] bytes) {
        try {
            PlanParser.parse("any.md", bytes, null);
        } catch (PlanFormatException expected) {
            assertThat(expected.getMessage()).startsWith("any.md");
        }
    }

    @Property(tries = 300)
    void aStatusWriteBackChangesOnlyTheStatusLine(@ForAll("plans") List<GenStep> steps) {
        String before = render("gen-2", steps);
        String after = new String(
                PlanDocument.of(before.getBytes(StandardCharsets.UTF_8))
                        .withField("status", "completed")
                        .bytes(),
                StandardCharsets.UTF_8);
        String[] a = before.split("\n", -1);
        String[] b = after.split("\n", -1);
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.length; i++) {
            assertThat(b[i]).isEqualTo(a[i].equals("status: approved") ? "status: completed" : a[i]);
        }
    }
}
