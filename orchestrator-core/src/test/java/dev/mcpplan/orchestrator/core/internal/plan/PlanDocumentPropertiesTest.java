package dev.mcpplan.orchestrator.core.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** What the orchestrator writes back into a plan file reads back as it was meant, whatever the values hold. */
class PlanDocumentPropertiesTest {
    private static final String PLAN = "---\nplan_id: p\nstatus: approved\n---\n# Title\n\n## Steps\n- [ ] One\n"
            + "- [ ] Two\n  - action: record\n";

    /** Strings rich in what YAML and markdown read as structure. */
    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> pieces = Arbitraries.oneOf(
                Arbitraries.of(
                        "---",
                        "\n",
                        "\r",
                        "\r\n",
                        "\u2028",
                        "\u0085",
                        "\"",
                        "'",
                        "\\",
                        ": ",
                        ":",
                        "#",
                        "- ",
                        "[",
                        "]",
                        "{",
                        "}",
                        "&a",
                        "*a",
                        "!!str",
                        "%",
                        "@",
                        "`",
                        "|",
                        ">",
                        "?",
                        " ",
                        "\t",
                        "true",
                        "null",
                        "~",
                        "0x1F",
                        "1e3",
                        "007",
                        "yes",
                        "\u0000",
                        "\u001b",
                        "\u00a0",
                        "\ufeff",
                        "é",
                        "😀",
                        "status: x",
                        "## Steps",
                        "- [ ] injected"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6),
                Arbitraries.strings().all().ofMaxLength(3));
        return pieces.list()
                .ofMaxSize(8)
                .map(l -> String.join("", l))
                // a lone surrogate has no UTF-8 form: no file, plan or server message can hold one
                .filter(s -> s.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF));
    }

    @Property
    void aFieldValueReadsBackAsTheSameStringAndChangesNothingElse(@ForAll("values") String value) {
        byte[] written = PlanDocument.of(PLAN.getBytes(StandardCharsets.UTF_8))
                .withField("error", value)
                .withField("status", "failed")
                .bytes();
        Plan plan = PlanParser.parse("plan.md", written, null);

        assertThat(plan.frontMatter().get("error")).isEqualTo(value);
        assertThat(plan.frontMatter()).containsEntry("plan_id", "p").containsEntry("status", "failed");
        assertThat(plan.steps()).extracting(s -> s.text()).containsExactly("One", "Two");
        assertThat(new String(written, StandardCharsets.UTF_8).lines().filter("---"::equals))
                .hasSize(2);
    }

    @Property
    void aLogLineIsOneLineUnderTheLogHeading(@ForAll("values") String text) {
        String written = new String(
                PlanDocument.of(PLAN.getBytes(StandardCharsets.UTF_8))
                        .withLogLine(text)
                        .withLogLine("second")
                        .bytes(),
                StandardCharsets.UTF_8);

        List<String> lines = List.of(written.split("\n", -1));
        List<String> log = lines.subList(lines.indexOf("## Execution Log") + 2, lines.size());
        assertThat(log).hasSize(3).endsWith("- second", "");
        assertThat(log.get(0)).startsWith("- ").doesNotContain("\r", "\u2028", "\u2029", "\u0085", "\u000b", "\f");
        assertThat(PlanParser.parse("plan.md", written.getBytes(StandardCharsets.UTF_8), null)
                        .steps())
                .hasSize(2);
        assertThat(PlanDocument.of(written.getBytes(StandardCharsets.UTF_8)).hasLogLine(text))
                .isTrue();
    }

    @Example
    void valuesThatAreSafeStayBare() {
        for (String value : List.of("in_progress", "2026-02-16T14:20:30Z", "sha256:abc", "hmac-sha256:x_y-z")) {
            assertThat(PlanDocument.yamlScalar(value)).isEqualTo(value);
        }
        for (String value : List.of("true", "a: b", "a:", "007", "", " x", "x\ny")) {
            assertThat(PlanDocument.yamlScalar(value)).startsWith("\"");
        }
    }
}
