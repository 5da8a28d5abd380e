package dev.mcpplan.orchestrator.core.internal.plan;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads plan files: markdown with YAML front matter (or bold {@code **Key:** value} header lines), steps
 * under a Steps-like heading, parameters as indented {@code key: value} sub-items or a fenced
 * {@code yaml}/{@code json} block; and approval-request files ({@code type: approval_request}) as
 * one-step plans. Any problem is a {@link PlanFormatException} naming the file, line and problem.
 *
 * <p>Thread-safe: stateless.
 */
public final class PlanParser {
    /** Front matter larger than this is refused, so a hostile file cannot make the YAML parser work for long. */
    static final int MAX_FRONT_MATTER = 64 * 1024;
    /** A plan file larger than this is refused before it is read. */
    static final int MAX_PLAN_BYTES = 1024 * 1024;
    /** The deepest nesting of YAML collections accepted in front matter and parameter blocks. */
    static final int MAX_YAML_DEPTH = 32;

    /**
     * YAML with limits: nesting depth, document and string length, and no aliases at all (the anchor
     * check below gives the clearer message; this is the parser's own guard).
     */
    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .loadSettings(LoadSettings.builder()
                            .setMaxAliasesForCollections(0)
                            .setAllowRecursiveKeys(false)
                            .setCodePointLimit(MAX_FRONT_MATTER)
                            .build())
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_YAML_DEPTH)
                            .maxDocumentLength(MAX_FRONT_MATTER)
                            .maxStringLength(MAX_FRONT_MATTER)
                            .build())
                    .build())
            .build();

    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern STEPS_HEADING = Pattern.compile(
            "(?i)^(steps|action items|actions required|roadmap" + "|step-by-step checklist|execution steps)\\b.*");
    private static final Pattern ITEM = Pattern.compile("^(\\s*)(?:[-*+]|\\d{1,4}[.)])\\s+(?:\\[([ xX])\\]\\s*)?(.*)$");
    private static final Pattern STEP_PREFIX =
            Pattern.compile("(?i)^(?:\\*\\*)?step\\s+\\d+\\s*[:.)-]\\s*(?:\\*\\*)?\\s*");
    private static final Pattern BOLD_HEADER = Pattern.compile("^\\*\\*([^*]+?):\\*\\*\\s*(.*)$");
    private static final Pattern PARAMETER = Pattern.compile("^([A-Za-z_][\\w-]*)\\s*:\\s*(.*)$");
    private static final Pattern ANCHOR = Pattern.compile("(?:^|[:\\[,{-])\\s*&[\\w-]+");
    private static final Pattern SENSITIVE = Pattern.compile("(?i)\\(requires approval\\)|\u270B|\uD83D\uDD90");
    private static final Set<String> REQUEST_BOOKKEEPING = Set.of(
            "type",
            "status",
            "created",
            "expires",
            "expires_at",
            "approved_by",
            "approved_at",
            "approved_actions",
            "approval_hash",
            "approval_signature",
            "plan_id",
            "task_id",
            "action",
            "risk_level",
            "priority",
            "source_file",
            // what the orchestrator writes back while it runs the request
            "started_at",
            "completed_at",
            "error",
            "retry_after",
            "reschedules",
            "rescheduled_since");

    private PlanParser() {}

    /**
     * @throws PlanFormatException naming the file, line and problem
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Plan parse(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_PLAN_BYTES) {
                throw tooLarge(file.toString(), size);
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read plan " + file, e);
        }
        return parse(file.toString(), bytes, file);
    }

    /**
     * @param sourceName the name used in messages
     * @param source the file, or null
     */
    public static Plan parse(String sourceName, byte[] content, Path source) {
        if (content.length > MAX_PLAN_BYTES) {
            throw tooLarge(sourceName, content.length);
        }
        try {
            return new Reader(sourceName, decode(sourceName, content), source).read();
        } catch (PlanFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new PlanFormatException(sourceName, 0, "cannot be read as a plan: " + e, e);
        }
    }

    private static PlanFormatException tooLarge(String sourceName, long size) {
        return new PlanFormatException(
                sourceName,
                0,
                "the file has " + size + " bytes; a plan may have at most " + MAX_PLAN_BYTES / 1024 + " KiB");
    }

    private static String decode(String sourceName, byte[] content) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
        } catch (CharacterCodingException e) {
            int line = 1;
            for (byte b : content) {
                if (b == '\n') {
                    line++;
                }
                if (b < 0) {
                    break;
                }
            }
            throw new PlanFormatException(sourceName, line, "the file is not UTF-8 text");
        }
    }

    private static final class Reader {
        private final String name;
        private final String[] lines;
        private final Path source;
        private final Map<String, Object> meta = new LinkedHashMap<>();
        private int bodyStart;

        Reader(String name, String text, Path source) {
            this.name = name;
            this.lines = text.split("\r?\n", -1);
            this.source = source;
        }

        Plan read() {
            readFrontMatter();
            if (meta.isEmpty()) {
                readBoldHeaders();
            }
            String fileId =
                    source == null ? name : source.getFileName().toString().replaceFirst("\\.md$", "");
            Plan.Builder plan = Plan.builder(text("plan_id").orElse(fileId))
                    .taskId(text("task_id").orElse(null))
                    .title(title())
                    .source(source)
                    .frontMatter(meta)
                    .status(text("status").flatMap(PlanStatus::parse).orElse(null))
                    .approval(approval());
            if ("approval_request".equalsIgnoreCase(text("type").orElse(""))) {
                return plan.kind(Plan.Kind.APPROVAL_REQUEST)
                        .step(approvalRequestStep())
                        .build();
            }
            List<Step> steps = readSteps();
            validate(steps);
            return plan.steps(steps).build();
        }

        private void readFrontMatter() {
            if (lines.length == 0 || !lines[0].strip().equals("---")) {
                return;
            }
            int end = -1;
            for (int i = 1; i < lines.length && end < 0; i++) {
                if (lines[i].strip().equals("---") || lines[i].strip().equals("...")) {
                    end = i;
                }
            }
            if (end < 0) {
                throw new PlanFormatException(name, 1, "the front matter starting at line 1 has no closing ---");
            }
            bodyStart = end + 1;
            JsonNode node = yaml(1, end, "YAML front matter");
            if (node == null || node.isNull() || node.isMissingNode()) {
                return;
            }
            if (!node.isObject()) {
                throw new PlanFormatException(name, 2, "the front matter must be key: value pairs");
            }
            node.properties().forEach(e -> meta.put(e.getKey(), value(e.getValue())));
        }

        /**
         * Reads the YAML between two lines (both excluded), refusing anchors and aliases (they can
         * multiply a small file into a huge tree) and anything beyond the parser's limits.
         *
         * @return the tree, or null when the text is blank
         */
        private JsonNode yaml(int after, int before, String what) {
            int size = 0;
            for (int i = after; i < before; i++) {
                size += lines[i].length() + 1;
                if (size > MAX_FRONT_MATTER) {
                    throw new PlanFormatException(
                            name, i + 1, "the " + what + " is larger than " + MAX_FRONT_MATTER / 1024 + " KiB");
                }
                if (ANCHOR.matcher(lines[i]).find()) {
                    throw new PlanFormatException(name, i + 1, "YAML anchors and aliases are not allowed in a plan");
                }
            }
            String text = String.join("\n", Arrays.copyOfRange(lines, after, before)) + "\n";
            if (text.isBlank()) {
                return null;
            }
            try {
                return YAML.readTree(text);
            } catch (JacksonException e) {
                int line =
                        after + (e.getLocation() == null ? 1 : e.getLocation().getLineNr());
                throw new PlanFormatException(name, line, "broken " + what + ": " + e.getOriginalMessage());
            }
        }

        private static Object value(JsonNode node) {
            if (node.isObject()) {
                Map<String, Object> map = new LinkedHashMap<>();
                node.properties().forEach(e -> map.put(e.getKey(), value(e.getValue())));
                return map;
            }
            if (node.isArray()) {
                List<Object> list = new ArrayList<>();
                node.values().forEach(v -> list.add(value(v)));
                return list;
            }
            return node.isNull() ? "" : node.asString();
        }

        private void readBoldHeaders() {
            for (int i = bodyStart; i < lines.length; i++) {
                Matcher h = HEADING.matcher(lines[i]);
                if (h.matches() && STEPS_HEADING.matcher(h.group(2)).matches()) {
                    return;
                }
                Matcher m = BOLD_HEADER.matcher(lines[i].strip());
                if (m.matches()) {
                    meta.put(
                            m.group(1).strip().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_"),
                            m.group(2).strip());
                }
            }
        }

        private java.util.Optional<String> text(String key) {
            Object v = meta.get(key);
            return v instanceof String s && !s.isBlank()
                    ? java.util.Optional.of(s.strip())
                    : java.util.Optional.empty();
        }

        private String title() {
            for (int i = bodyStart; i < lines.length; i++) {
                Matcher h = HEADING.matcher(lines[i]);
                if (h.matches() && h.group(1).length() == 1) {
                    return h.group(2);
                }
            }
            return null;
        }

        private Approval approval() {
            Approval.Builder a = Approval.builder()
                    .approvedBy(text("approved_by").orElse(null))
                    .approvedAt(instant("approved_at"))
                    .expiresAt(meta.containsKey("expires_at") ? instant("expires_at") : instant("expires"))
                    .riskLevel(text("risk_level").orElse(null))
                    .approvalHash(text("approval_hash").orElse(null))
                    .signature(text("approval_signature").orElse(null));
            Object actions = meta.get("approved_actions");
            if (actions instanceof List<?> list) {
                Set<String> set = new LinkedHashSet<>();
                list.forEach(x -> set.add(String.valueOf(x).strip()));
                a.approvedActions(set);
            } else if (actions instanceof String s && !s.isBlank()) {
                Set<String> set = new LinkedHashSet<>();
                for (String x : s.replaceAll("[\\[\\]]", "").split(",")) {
                    if (!x.isBlank()) {
                        set.add(x.strip());
                    }
                }
                a.approvedActions(set);
            }
            return a.build();
        }

        private Instant instant(String key) {
            java.util.Optional<String> value = text(key);
            if (value.isEmpty()) {
                return null;
            }
            String v = value.get();
            try {
                return OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException notOffset) {
                try {
                    return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException notDate) {
                    throw new PlanFormatException(name, lineOf(key), "'" + key + "' is not a date-time: " + v);
                }
            }
        }

        private int lineOf(String key) {
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].startsWith(key + ":")
                        || lines[i].toLowerCase(Locale.ROOT).contains(key.replace('_', ' '))) {
                    return i + 1;
                }
            }
            return 0;
        }

        private Step approvalRequestStep() {
            String action = text("action")
                    .orElseThrow(() -> new PlanFormatException(
                            name,
                            1,
                            "an approval request must name its action in the front matter (action: send_email)"));
            Step.Builder step = Step.builder(1, title() == null ? action : title())
                    .action(action)
                    .line(1);
            meta.forEach((k, v) -> {
                if (!REQUEST_BOOKKEEPING.contains(k) && !(v instanceof String s && s.isBlank())) {
                    step.parameter(k, v);
                }
            });
            if (!meta.containsKey("body")) {
                String body = requestBody();
                if (!body.isBlank()) {
                    step.parameter("body", body);
                }
            }
            return step.build();
        }

        private String requestBody() {
            List<String> out = new ArrayList<>();
            boolean inSection = false;
            boolean sawSection = false;
            for (int i = bodyStart; i < lines.length; i++) {
                Matcher h = HEADING.matcher(lines[i]);
                if (h.matches()) {
                    inSection = h.group(2).matches("(?i)(draft reply|email content|message|body|content).*");
                    sawSection |= inSection;
                    continue;
                }
                Matcher b = Pattern.compile("^body:\\s*(.*)$").matcher(lines[i]);
                if (b.matches()) {
                    return b.group(1).strip();
                }
                if (inSection) {
                    out.add(lines[i]);
                }
            }
            if (!sawSection) {
                for (int i = bodyStart; i < lines.length; i++) {
                    if (!HEADING.matcher(lines[i]).matches()) {
                        out.add(lines[i]);
                    }
                }
            }
            return String.join("\n", out).strip();
        }

        private List<Step> readSteps() {
            int start = -1;
            int level = 0;
            for (int i = bodyStart; i < lines.length && start < 0; i++) {
                Matcher h = HEADING.matcher(lines[i]);
                if (h.matches() && STEPS_HEADING.matcher(h.group(2)).matches()) {
                    start = i + 1;
                    level = h.group(1).length();
                }
            }
            if (start < 0) {
                throw new PlanFormatException(
                        name,
                        0,
                        "no steps section: expected a heading such as '## Steps',"
                                + " '## Action Items' or '## Execution Steps'");
            }
            List<Step.Builder> steps = new ArrayList<>();
            int stepIndent = -1;
            for (int i = start; i < lines.length; i++) {
                String line = lines[i];
                Matcher h = HEADING.matcher(line);
                if (h.matches() && h.group(1).length() <= level) {
                    break;
                }
                if (line.isBlank()) {
                    continue;
                }
                int indent = indent(line);
                Matcher item = ITEM.matcher(line);
                if (item.matches() && (stepIndent < 0 || indent <= stepIndent)) {
                    stepIndent = indent;
                    String text = STEP_PREFIX.matcher(item.group(3).strip()).replaceFirst("");
                    steps.add(Step.builder(steps.size() + 1, text.isEmpty() ? "(empty step)" : text)
                            .checked(item.group(2) != null && !item.group(2).isBlank())
                            .flaggedSensitive(SENSITIVE.matcher(text).find())
                            .line(i + 1));
                } else if (!steps.isEmpty() && indent > stepIndent) {
                    i = detail(steps.get(steps.size() - 1), i);
                }
            }
            if (steps.isEmpty()) {
                throw new PlanFormatException(name, start, "the steps section has no steps");
            }
            return steps.stream().map(Step.Builder::build).toList();
        }

        /** Reads one indented line (or fenced block) under a step; returns the last line consumed. */
        private int detail(Step.Builder step, int i) {
            String stripped = lines[i].strip();
            if (stripped.startsWith("```")) {
                String lang = stripped.substring(3).strip().toLowerCase(Locale.ROOT);
                int j = i + 1;
                while (j < lines.length && !lines[j].strip().startsWith("```")) {
                    j++;
                }
                if (j >= lines.length) {
                    throw new PlanFormatException(name, i + 1, "the fenced block starting here is not closed");
                }
                if (lang.equals("yaml") || lang.equals("yml") || lang.equals("json")) {
                    JsonNode node = yaml(i + 1, j, lang + " block");
                    if (node != null && node.isObject()) {
                        node.properties().forEach(e -> put(step, e.getKey(), value(e.getValue()), i + 1));
                    } else if (node != null && !node.isNull() && !node.isMissingNode()) {
                        throw new PlanFormatException(name, i + 1, "a " + lang + " block must hold key: value pairs");
                    }
                }
                return j;
            }
            Matcher item = ITEM.matcher(lines[i]);
            String content = item.matches() ? item.group(3).strip() : stripped;
            Matcher p = PARAMETER.matcher(content);
            if (p.matches()) {
                put(step, p.group(1), unquoted(p.group(2).strip()), i + 1);
            }
            return i;
        }

        /** A value written in quotes, as YAML reads it ({@code "#sales"} is {@code #sales}); any other text as written. */
        private static String unquoted(String text) {
            if (text.length() < 2
                    || !(text.startsWith("\"") && text.endsWith("\"") || text.startsWith("'") && text.endsWith("'"))) {
                return text;
            }
            try {
                JsonNode node = YAML.readTree(text);
                return node.isString() ? node.asString() : text;
            } catch (JacksonException e) {
                return text;
            }
        }

        private void put(Step.Builder step, String key, Object value, int line) {
            switch (key) {
                case "action" -> step.action(String.valueOf(value).strip());
                case "id" -> step.id(String.valueOf(value).strip());
                case "depends_on" -> step.dependsOn(references(value));
                default -> step.parameter(key, value);
            }
        }

        private static List<String> references(Object value) {
            List<String> refs = new ArrayList<>();
            if (value instanceof List<?> list) {
                list.forEach(v -> refs.add(String.valueOf(v).strip()));
            } else {
                for (String r : String.valueOf(value).replaceAll("[\\[\\]]", "").split(",")) {
                    if (!r.isBlank()) {
                        refs.add(r.strip());
                    }
                }
            }
            return refs;
        }

        private void validate(List<Step> steps) {
            Plan probe = Plan.builder("probe").steps(steps).build();
            Set<String> ids = new HashSet<>();
            for (Step s : steps) {
                if (s.id().isPresent() && !ids.add(s.id().get())) {
                    throw new PlanFormatException(name, s.line(), "two steps have the id '" + s.id().get() + "'");
                }
            }
            Map<Integer, List<Integer>> edges = new HashMap<>();
            for (Step s : steps) {
                List<Integer> deps = new ArrayList<>();
                for (String ref : s.dependsOn()) {
                    Step target = probe.step(ref)
                            .orElseThrow(() -> new PlanFormatException(
                                    name,
                                    s.line(),
                                    s.label() + " depends on '" + ref + "', which is not a step of this plan"));
                    deps.add(target.number());
                }
                edges.put(s.number(), deps);
            }
            Map<Integer, Integer> state = new HashMap<>();
            for (Step s : steps) {
                List<Integer> path = new ArrayList<>();
                if (cycle(s.number(), edges, state, path)) {
                    throw new PlanFormatException(
                            name, s.line(), "the steps depend on each other in a cycle: steps " + path);
                }
            }
        }

        private static boolean cycle(
                int n, Map<Integer, List<Integer>> edges, Map<Integer, Integer> state, List<Integer> path) {
            int st = state.getOrDefault(n, 0);
            if (st == 2) {
                return false;
            }
            path.add(n);
            if (st == 1) {
                return true;
            }
            state.put(n, 1);
            for (int d : edges.getOrDefault(n, List.of())) {
                if (cycle(d, edges, state, path)) {
                    return true;
                }
            }
            state.put(n, 2);
            path.remove(path.size() - 1);
            return false;
        }

        private static int indent(String line) {
            int n = 0;
            while (n < line.length() && (line.charAt(n) == ' ' || line.charAt(n) == '\t')) {
                n++;
            }
            return n;
        }
    }
}
