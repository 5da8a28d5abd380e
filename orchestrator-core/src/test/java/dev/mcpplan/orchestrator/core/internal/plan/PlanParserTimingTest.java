package dev.mcpplan.orchestrator.core.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.PlanFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * No input stalls the parser: generated pathological inputs and mutated plans each parse, or fail with a
 * {@link PlanFormatException}, within a bound generous enough for a loaded 2-core machine (the parser
 * is linear; on an idle machine such inputs take milliseconds, see {@code ParserBenchmark}).
 *
 * <p>The fuzz run's size is the system property {@code planparser.fuzz.count} (default 2000).
 */
class PlanParserTimingTest {
    /** Far above any linear parse of 1 MiB, far below what the quadratic patterns took (seconds to minutes). */
    private static final Duration BOUND = Duration.ofSeconds(2);

    /** Markdown and YAML markers, and the characters that made regular expressions backtrack. */
    private static final List<String> MARKERS = List.of(
            "#",
            "# ",
            "-",
            "- ",
            "*",
            "+",
            "1.",
            "1. ",
            ">",
            "`",
            "```",
            "[ ]",
            "- [ ] ",
            "|",
            "**",
            "**a:",
            "a:",
            ":",
            " ",
            "\t",
            "\r",
            "&",
            "[",
            "{",
            "step 1",
            "depends_on: 1, ",
            "\u2028",
            "(requires approval)");

    private static final List<String> SEEDS = List.of("""
            ---
            type: plan
            plan_id: fuzz-1
            status: approved
            risk_level: high
            approved_actions: [send_email, write_vault]
            approved_at: 2026-02-16T14:20:30Z
            expires_at: 2026-02-17T14:20:30Z
            ---
            # Reply to the client

            ## Steps
            - [ ] Send email to client@example.com
              - id: mail
              - subject: Q4 Proposal
              - body: Please find the proposal attached.
            - [x] Save to vault Clients/acme.md
              - action: write_vault
              - depends_on: mail
              ```yaml
              path: Clients/acme.md
              content: |
                Sent.
              ```
            1. [ ] Step 3: Draft a follow-up (REQUIRES APPROVAL)
            """, """
            ---
            type: approval_request
            action: send_email
            to: a@b.com
            subject: Hello
            expires: 2026-02-17T14:20:30Z
            ---
            # Send a hello

            ## Draft Reply
            Hello there.
            """, """
            # Plan without front matter
            **Status:** Approved
            **Risk Level:** Low

            ## Action Items
            - [ ] Step 1: Check vault Notes/today.md
            - [ ] Step 2: Post to LinkedIn about the launch
                - text: We launched.
            """);

    /** How a timed parse ended: read, or refused with a {@link PlanFormatException}; any other exception fails the test. */
    private record Outcome(boolean parsed, Duration took) {}

    static {
        // the first parse loads and initialises the YAML stack, which is no part of what is timed
        PlanParser.parse("warm-up.md", SEEDS.get(0).getBytes(StandardCharsets.UTF_8), null);
    }

    private static Outcome parseTimed(String text) {
        long start = System.nanoTime();
        boolean parsed;
        try {
            PlanParser.parse("timed.md", text.getBytes(StandardCharsets.UTF_8), null);
            parsed = true;
        } catch (PlanFormatException e) {
            parsed = false;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took)
                .as("parse of %d chars starting %s", text.length(), text.substring(0, Math.min(60, text.length())))
                .isLessThan(BOUND);
        return new Outcome(parsed, took);
    }

    @Provide
    Arbitrary<String> pathological() {
        Arbitrary<String> marker = Arbitraries.of(MARKERS);
        Arbitrary<Integer> times = Arbitraries.integers().between(1_000, 60_000);
        Arbitrary<String> tail = Arbitraries.of("", "x", "\r", "\u2028", "#", ":", "**", "\ty");
        Arbitrary<Integer> place = Arbitraries.integers().between(0, 6);
        return Combinators.combine(marker, times, tail, place).as((m, n, t, p) -> {
            String run = m.repeat(Math.min(n, 1_000_000 / (m.length() + 1))) + t;
            return switch (p) {
                case 0 -> "---\nstatus: approved\n---\n# " + run + "\n## Steps\n- [ ] a\n";
                case 1 -> "---\nstatus: approved\n---\n## Steps\n- " + run + "\n";
                case 2 -> "---\nstatus: approved\n---\n## Steps\n- [ ] a\n  - p: " + run + "\n";
                case 3 -> "---\nnote: " + run.substring(0, Math.min(run.length(), 60_000)) + "\n---\n## Steps\n- a\n";
                case 4 -> "**" + run + "\n**Status:** " + run + "\n## Steps\n- a\n";
                case 5 -> "## Steps\n" + (m + t + "\n").repeat(Math.min(n, 1_000_000 / (m.length() + t.length() + 1)));
                default ->
                    "## Steps\n- a\n" + ("  ".repeat(n % 500) + m + " x\n").repeat(Math.max(1, 20_000 / (1 + n % 500)));
            };
        });
    }

    @Property(tries = 40)
    void noPathologicalInputStallsTheParser(@ForAll("pathological") String plan) {
        assertThat(parseTimed(plan).took()).isLessThan(BOUND);
    }

    @Test
    void aPlanWithMoreYamlBlocksThanTheLimitIsRefusedAndOneAtTheLimitParses() {
        String block = "- a\n  ```yaml\n  k: v\n  ```\n";
        assertThat(parseTimed("## Steps\n" + block.repeat(PlanParser.MAX_YAML_BLOCKS))
                        .parsed())
                .isTrue();
        String over = "## Steps\n" + block.repeat(PlanParser.MAX_YAML_BLOCKS + 1);
        assertThatThrownBy(() -> PlanParser.parse("blocks.md", over.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("blocks.md:" + (2 + 4 * PlanParser.MAX_YAML_BLOCKS + 1)
                        + ": a plan may have at most 1000 yaml or json blocks and quoted values with escapes");
    }

    @Test
    void frontMatterWithMoreEntriesThanTheLimitIsRefusedBeforeTheYamlParserSeesIt() {
        String atLimit = "---\ntags: [" + "x,".repeat(PlanParser.MAX_YAML_ENTRIES - 3) + "x]\n---\n## Steps\n- [ ] a\n";
        assertThat(parseTimed(atLimit).parsed()).isTrue();
        String flowList = "---\ntags: [" + "x,".repeat(20_000) + "x]\n---\n## Steps\n- [ ] a\n";
        assertThatThrownBy(() -> PlanParser.parse("flow.md", flowList.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("flow.md:2: the YAML front matter has more than " + PlanParser.MAX_YAML_ENTRIES
                        + " entries (lines and comma-separated items)");
    }

    @Test
    void aPlanWithMoreStepsThanTheLimitIsRefusedAndOneAtTheLimitParses() {
        assertThat(parseTimed("## Steps\n" + "- x\n".repeat(PlanParser.MAX_STEPS))
                        .parsed())
                .isTrue();
        String over = "## Steps\n" + "- x\n".repeat(PlanParser.MAX_STEPS + 1);
        assertThatThrownBy(() -> PlanParser.parse("steps.md", over.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("steps.md:" + (PlanParser.MAX_STEPS + 2) + ": a plan may have at most "
                        + PlanParser.MAX_STEPS + " steps");
    }

    @Test
    void mutatedPlansParseOrAreRefusedQuickly() {
        int count = Integer.getInteger("planparser.fuzz.count", 2000);
        Random random = new Random(20261201L);
        int parsed = 0;
        Duration slowest = Duration.ZERO;
        for (int i = 0; i < count; i++) {
            Outcome outcome = parseTimed(mutate(SEEDS.get(random.nextInt(SEEDS.size())), random));
            parsed += outcome.parsed() ? 1 : 0;
            slowest = outcome.took().compareTo(slowest) > 0 ? outcome.took() : slowest;
        }
        System.out.printf(
                "fuzz: %d mutated plans, %d parsed, %d refused, slowest %d ms%n",
                count, parsed, count - parsed, slowest.toMillis());
        assertThat(parsed)
                .as("the mutations keep some plans readable")
                .isPositive()
                .isLessThan(count);
    }

    private static String mutate(String seed, Random random) {
        StringBuilder text = new StringBuilder(seed);
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int at = random.nextInt(text.length() + 1);
            switch (random.nextInt(5)) {
                case 0 -> text.insert(at, MARKERS.get(random.nextInt(MARKERS.size())));
                case 1 -> text.delete(at, Math.min(text.length(), at + random.nextInt(40)));
                case 2 -> {
                    int end = Math.min(text.length(), at + 1 + random.nextInt(30));
                    String piece = text.substring(at, end);
                    int copies = random.nextInt(1 + 50_000 / Math.max(1, piece.length()));
                    text.insert(end, piece.repeat(copies));
                }
                case 3 -> {
                    if (at < text.length()) {
                        text.setCharAt(at, (char) random.nextInt(0x3000));
                    }
                }
                default ->
                    text.insert(at, MARKERS.get(random.nextInt(MARKERS.size())).repeat(random.nextInt(5_000)));
            }
        }
        return text.toString();
    }
}
