package dev.mcpplan.examples.bench;

import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures plan parsing over adversarial inputs near the size limits (1 MiB file, 64 KiB front matter):
 * long lines of every markdown marker in every place a line is read (heading, step, parameter, bold
 * header, many short lines), deep lists, many front matter keys, long YAML scalars, many steps, many
 * {@code depends_on} references and fenced blocks. For each input class it prints the slowest parse
 * and, as a peer measured in the same run on the same text, {@code String.split("\n")}, with their
 * ratio: a linear parser stays within a constant factor of the split on every class.
 *
 * <p>Run: {@code java -cp orchestrator-examples/target/mcp-orchestrator.jar
 * dev.mcpplan.examples.bench.ParserBenchmark [rounds]} (default 5 rounds, after one warm-up round).
 */
public final class ParserBenchmark {
    /** Text that fits a 1 MiB plan with its frame around it. */
    private static final int LINE = 900_000;

    private static final List<String> MARKERS =
            List.of("#", "-", "*", "+", "1.", ">", "`", "```", "[ ]", "|", "**", ":", "&", " ", "\t");

    private ParserBenchmark() {}

    /** One adversarial input: its class, its name within the class, its text. */
    private record Input(String group, String name, String text) {}

    private static List<Input> inputs() {
        List<Input> inputs = new ArrayList<>();
        for (String marker : MARKERS) {
            String run = marker.repeat(LINE / marker.length());
            String group = "long line of '" + marker.replace("\t", "\\t") + "'";
            inputs.add(new Input(group, "heading", "## Steps\n- [ ] a\n# " + run + "x\n"));
            inputs.add(new Input(group, "step", "## Steps\n- " + run + "\rx\n"));
            inputs.add(new Input(group, "parameter", "## Steps\n- [ ] a\n  - p: " + run + "\u2028\n"));
            inputs.add(new Input(group, "bold header", "**" + run + "\n**Status:** " + marker + "\n## Steps\n- a\n"));
            inputs.add(new Input(
                    group, "short lines", "## Steps\n" + (marker + " x\n").repeat(LINE / (marker.length() + 3))));
        }
        StringBuilder deep = new StringBuilder("## Steps\n- a\n");
        for (int i = 1; deep.length() < LINE; i++) {
            deep.append("  ".repeat(i % 900)).append(i % 2 == 0 ? "- x\n" : "1. [ ] x: y\n");
        }
        inputs.add(new Input("deep lists", "nested items", deep.toString()));
        inputs.add(new Input("many steps", "one-line steps", "## Steps\n" + "- a\n".repeat(LINE / 4)));
        inputs.add(new Input(
                "many steps",
                "steps with parameters",
                "## Steps\n" + "- [ ] Send email to a@b.com\n  - subject: s\n".repeat(LINE / 43)));
        StringBuilder keys = new StringBuilder("---\n");
        for (int i = 0; keys.length() < 60_000; i++) {
            keys.append("key_").append(i).append(": value ").append(i).append('\n');
        }
        inputs.add(new Input("front matter", "many keys", keys + "---\n## Steps\n- a\n"));
        inputs.add(new Input(
                "front matter", "long plain scalar", "---\nnote: " + "x ".repeat(30_000) + "\n---\n## Steps\n- a\n"));
        inputs.add(new Input(
                "front matter",
                "long quoted scalar",
                "---\nnote: \"" + "\\u00e9\\n".repeat(9_000) + "\"\n---\n## Steps\n- a\n"));
        inputs.add(new Input(
                "front matter",
                "long folded scalar",
                "---\nnote: >\n" + "  folded text line\n".repeat(3_300) + "---\n## Steps\n- a\n"));
        inputs.add(new Input(
                "front matter",
                "long flow list",
                "---\napproved_actions: [" + "a, ".repeat(20_000) + "b]\n---\n## Steps\n- a\n"));
        inputs.add(new Input("depends_on", "150,000 references", references(5_000, 30)));
        String block = "- a\n  ```yaml\n  k: v\n  ```\n";
        inputs.add(new Input("fenced blocks", "1000 (the limit)", "## Steps\n" + block.repeat(1000)));
        inputs.add(new Input("fenced blocks", "30,000 (refused)", "## Steps\n" + block.repeat(LINE / 30)));
        inputs.add(new Input(
                "quoted parameters",
                "plain",
                "## Steps\n" + "- [ ] Send email\n  - to: \"a@b.com\"\n  - subject: 'It''s here'\n".repeat(LINE / 50)));
        inputs.add(new Input(
                "quoted parameters",
                "1000 escaped (the limit)",
                "## Steps\n" + "- [ ] Send email\n  - body: \"tab\\there\"\n".repeat(1000)));
        return inputs;
    }

    /** Steps with ids, each depending on up to {@code perStep} earlier ones by number and by id. */
    private static String references(int steps, int perStep) {
        StringBuilder plan = new StringBuilder("## Steps\n");
        for (int i = 1; i <= steps; i++) {
            plan.append("- step ").append(i).append("\n  - id: s").append(i).append('\n');
            if (i > 1) {
                plan.append("  - depends_on: ");
                for (int r = 0; r < perStep; r++) {
                    int target = 1 + (i * 31 + r * 17) % (i - 1);
                    plan.append(r == 0 ? "" : ", ").append(r % 2 == 0 ? "s" + target : String.valueOf(target));
                }
                plan.append('\n');
            }
        }
        return plan.toString();
    }

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<Input> inputs = inputs();
        Path dir = Files.createTempDirectory("parser-bench");
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            files.add(Files.writeString(
                    dir.resolve("input-" + i + ".md"), inputs.get(i).text()));
        }
        long[] slowestParse = new long[inputs.size()];
        long[][] splits = new long[inputs.size()][rounds];
        String[] outcome = new String[inputs.size()];
        long linesSplit = 0; // used, so that the peer's work cannot be optimised away
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            for (int round = -1; round < rounds; round++) {
                for (int i = 0; i < inputs.size(); i++) {
                    long start = System.nanoTime();
                    try {
                        parser.parse(files.get(i));
                        outcome[i] = "parsed";
                    } catch (PlanFormatException e) {
                        outcome[i] = "refused";
                    }
                    long parse = System.nanoTime() - start;
                    start = System.nanoTime();
                    linesSplit += Files.readString(files.get(i)).split("\n").length;
                    long split = System.nanoTime() - start;
                    if (round >= 0) {
                        slowestParse[i] = Math.max(slowestParse[i], parse);
                        splits[i][round] = split;
                    }
                }
            }
        }
        Map<String, Integer> slowestOfGroup = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            slowestOfGroup.merge(inputs.get(i).group(), i, (a, b) -> slowestParse[b] > slowestParse[a] ? b : a);
        }
        System.out.printf(
                "%-24s %-22s %-8s %11s %11s %7s%n",
                "input class", "slowest input", "outcome", "parse ms", "split ms", "ratio");
        int worst = 0;
        for (int i : slowestOfGroup.values()) {
            long split = median(splits[i]);
            System.out.printf(
                    "%-24s %-22s %-8s %11.2f %11.2f %7.1f%n",
                    inputs.get(i).group(),
                    inputs.get(i).name(),
                    outcome[i],
                    slowestParse[i] / 1e6,
                    split / 1e6,
                    (double) slowestParse[i] / Math.max(1, split));
            worst = slowestParse[i] > slowestParse[worst] ? i : worst;
        }
        System.out.printf(
                "slowest parse over %d inputs x %d rounds (%d lines split): %.2f ms (%s, %s)%n",
                inputs.size(),
                rounds,
                linesSplit,
                slowestParse[worst] / 1e6,
                inputs.get(worst).group(),
                inputs.get(worst).name());
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
