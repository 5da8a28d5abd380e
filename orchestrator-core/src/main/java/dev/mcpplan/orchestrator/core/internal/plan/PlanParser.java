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
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
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
import tools.jackson.core.StreamReadFeature;
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
    public static final int MAX_PLAN_BYTES = 1024 * 1024;
    /** The deepest nesting of YAML collections accepted in front matter and parameter blocks. */
    static final int MAX_YAML_DEPTH = 32;
    /**
     * The most fenced {@code yaml}/{@code json} blocks and quoted values with escapes a plan may have:
     * each costs a YAML parser of its own, so that tens of thousands of tiny ones would keep the parser
     * busy for seconds.
     */
    static final int MAX_YAML_BLOCKS = 1000;
    /**
     * The most entries (counted by their separators: commas and line breaks) a front matter or parameter
     * block may have: the YAML parser spends tens of microseconds on each, so that a 64 KiB flow list of
     * 20,000 entries kept it busy for a third of a second. Real front matter has dozens.
     */
    static final int MAX_YAML_ENTRIES = 4000;
    /** The most steps a plan may have: far beyond any plan a person approves, and quick to refuse. */
    static final int MAX_STEPS = 10_000;

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
            // a key given twice (approved_actions, expires_at) is ambiguous, never "the last one wins"
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern STEPS_HEADING = Pattern.compile(
            "(?i)(?:steps|action items|actions required|roadmap|step-by-step checklist|execution steps)\\b");
    private static final Pattern STEP_PREFIX =
            Pattern.compile("(?i)(?:\\*\\*)?step\\s+\\d+\\s*[:.)-]\\s*(?:\\*\\*)?\\s*");
    private static final Pattern BOLD_HEADER = Pattern.compile("(?s)^\\*\\*([^*]+?):\\*\\*\\s*(.*)$");
    private static final Pattern PARAMETER = Pattern.compile("(?s)^([A-Za-z_][\\w-]*)\\s*:\\s*(.*)$");
    private static final Pattern REQUEST_SECTION =
            Pattern.compile("(?i)(?:draft reply|email content|message|body|content)");
    private static final Pattern NOT_KEY_CHARACTERS = Pattern.compile("[^a-z0-9]+");
    private static final Pattern ANCHOR = Pattern.compile("(?:^|[:\\[,{-])\\s*&[\\w-]+");
    /** A quoted YAML scalar: an {@code &} inside one is text, not an anchor. */
    private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*+\"|'(?:[^']|'')*+'");

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
     * Reads a parameter value written inline, such as {@code [Alice, Bob]} or {@code {"a": 1}}, as the
     * parameter blocks are read: YAML flow (JSON included) within the same limits, scalars as text.
     *
     * @throws IllegalArgumentException if the text is not such a value
     */
    public static Object inlineValue(String text) {
        if (text.length() > MAX_FRONT_MATTER) {
            throw new IllegalArgumentException("longer than " + MAX_FRONT_MATTER / 1024 + " KiB");
        }
        try {
            JsonNode node = YAML.readTree(text);
            return node == null || node.isMissingNode() ? "" : Reader.value(node);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

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
        String text = new String(content, StandardCharsets.UTF_8);
        // the lenient decoder is the fast one; only a text with a replacement character can be malformed
        if (text.indexOf('\uFFFD') < 0) {
            return text;
        }
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
        private int yamlBlocks;

        Reader(String name, String text, Path source) {
            this.name = name;
            this.lines = lines(text);
            this.source = source;
        }

        /** The text split as {@code split("\\r?\\n", -1)} splits it, by a scan instead of a regular expression. */
        private static String[] lines(String text) {
            List<String> lines = new ArrayList<>();
            int start = 0;
            for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
                int end = nl > start && text.charAt(nl - 1) == '\r' ? nl - 1 : nl;
                lines.add(text.substring(start, end));
                start = nl + 1;
            }
            lines.add(text.substring(start));
            return lines.toArray(String[]::new);
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
            return validated(plan.steps(readSteps()).build());
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
            int entries = 0;
            for (int i = after; i < before; i++) {
                size += lines[i].length() + 1;
                entries += 1 + commas(lines[i]);
                if (entries > MAX_YAML_ENTRIES) {
                    throw new PlanFormatException(
                            name,
                            i + 1,
                            "the " + what + " has more than " + MAX_YAML_ENTRIES
                                    + " entries (lines and comma-separated items)");
                }
                if (size > MAX_FRONT_MATTER) {
                    throw new PlanFormatException(
                            name, i + 1, "the " + what + " is larger than " + MAX_FRONT_MATTER / 1024 + " KiB");
                }
                if (lines[i].indexOf('&') >= 0
                        && ANCHOR.matcher(QUOTED.matcher(lines[i]).replaceAll("\"\""))
                                .find()) {
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

        private static int commas(String line) {
            int n = 0;
            for (int at = line.indexOf(','); at >= 0; at = line.indexOf(',', at + 1)) {
                n++;
            }
            return n;
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
                if (isStepsHeading(Heading.of(lines[i]))) {
                    return;
                }
                String line = lines[i].strip();
                Matcher m = mayBeBoldHeader(line) ? BOLD_HEADER.matcher(line) : null;
                if (m != null && m.matches()) {
                    String key = NOT_KEY_CHARACTERS
                            .matcher(m.group(1).strip().toLowerCase(Locale.ROOT))
                            .replaceAll("_");
                    if (meta.put(key, m.group(2).strip()) != null && REQUEST_BOOKKEEPING.contains(key)) {
                        throw new PlanFormatException(
                                name, i + 1, "the header '" + m.group(1).strip() + "' is given twice; keep one");
                    }
                }
            }
        }

        /**
         * Whether the line has the shape {@code **Key:**}: the first {@code *} after the opening two
         * closes the key. Only such lines meet the pattern, whose lazy key costs a step per character
         * of a long line.
         */
        private static boolean mayBeBoldHeader(String line) {
            int close = line.startsWith("**") ? line.indexOf('*', 2) : -1;
            return close > 3
                    && line.charAt(close - 1) == ':'
                    && close + 1 < line.length()
                    && line.charAt(close + 1) == '*';
        }

        private static boolean isStepsHeading(Heading h) {
            return h != null && STEPS_HEADING.matcher(h.text()).lookingAt();
        }

        /**
         * A front matter field that holds one value.
         *
         * @throws PlanFormatException if it holds a list or a map
         */
        private java.util.Optional<String> text(String key) {
            Object v = meta.get(key);
            if (v instanceof List<?> || v instanceof Map<?, ?>) {
                throw new PlanFormatException(name, lineOf(key), "'" + key + "' must be a single value, not " + v);
            }
            return v instanceof String s && !s.isBlank()
                    ? java.util.Optional.of(s.strip())
                    : java.util.Optional.empty();
        }

        private String title() {
            for (int i = bodyStart; i < lines.length; i++) {
                Heading h = Heading.of(lines[i]);
                if (h != null && h.level() == 1) {
                    return h.text();
                }
            }
            return null;
        }

        private Approval approval() {
            Approval.Builder a = Approval.builder()
                    .approvedBy(text("approved_by").orElse(null))
                    .approvedAt(instant("approved_at"))
                    .expiresAt(expiry())
                    .riskLevel(text("risk_level").orElse(null))
                    .approvalHash(text("approval_hash").orElse(null))
                    .signature(text("approval_signature").orElse(null));
            if (meta.containsKey("approved_actions")) {
                a.approvedActions(approvedActions());
            }
            return a.build();
        }

        /** {@code expires_at}, or {@code expires}; both, unless they name the same instant, is ambiguous. */
        private Instant expiry() {
            Instant expires = instant("expires");
            Instant expiresAt = instant("expires_at");
            if (meta.containsKey("expires")
                    && meta.containsKey("expires_at")
                    && !java.util.Objects.equals(expires, expiresAt)) {
                throw new PlanFormatException(
                        name,
                        lineOf("expires_at"),
                        "the expiry is given twice, as expires (" + (expires == null ? "blank" : expires)
                                + ") and expires_at (" + (expiresAt == null ? "blank" : expiresAt)
                                + "); keep one");
            }
            return expiresAt != null ? expiresAt : expires;
        }

        /**
         * The listed actions: a YAML list, or a text {@code a, b} or {@code [a, b]}; never empty, since an
         * empty list that read as "no list" would approve every action.
         */
        private Set<String> approvedActions() {
            Object value = meta.get("approved_actions");
            List<Object> entries = new ArrayList<>();
            if (value instanceof List<?> list) {
                entries.addAll(list);
            } else if (value instanceof String s && !s.isBlank()) {
                String inner = s.strip();
                if (inner.startsWith("[") && inner.endsWith("]")) {
                    inner = inner.substring(1, inner.length() - 1);
                }
                entries.addAll(inner.isBlank() ? List.of() : Arrays.asList(inner.split(",", -1)));
            } else if (!(value instanceof String)) {
                throw new PlanFormatException(
                        name,
                        lineOf("approved_actions"),
                        "approved_actions must be a list of action names, such as [send_email, write_vault]");
            }
            if (entries.isEmpty()) {
                throw new PlanFormatException(
                        name,
                        lineOf("approved_actions"),
                        "approved_actions is empty or blank; list the approved actions, such as [send_email],"
                                + " or remove the field");
            }
            Set<String> actions = new LinkedHashSet<>();
            for (Object entry : entries) {
                if (!(entry instanceof String action) || action.isBlank()) {
                    throw new PlanFormatException(
                            name,
                            lineOf("approved_actions"),
                            "approved_actions must list action names; it has an entry "
                                    + (entry instanceof String ? "that is blank" : entry.toString()));
                }
                actions.add(action.strip());
            }
            return actions;
        }

        /**
         * A time with its offset ({@code 2026-02-16T14:20:30Z}, {@code ...+01:00}); a date or a time
         * without a zone is refused, since it would be read in whatever zone the reader is in.
         */
        private Instant instant(String key) {
            java.util.Optional<String> value = text(key);
            if (value.isEmpty()) {
                return null;
            }
            String v = value.get();
            try {
                return OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException notOffset) {
                String problem = zoneless(v)
                        ? "'" + key + "' has no time zone: " + v + "; write the time with Z or an offset, such as "
                                + "2026-02-16T14:20:30Z"
                        : "'" + key + "' is not a date-time with a time zone (such as 2026-02-16T14:20:30Z): " + v;
                throw new PlanFormatException(name, lineOf(key), problem);
            }
        }

        private static boolean zoneless(String v) {
            try {
                LocalDateTime.parse(v);
                return true;
            } catch (DateTimeParseException notDateTime) {
                try {
                    LocalDate.parse(v);
                    return true;
                } catch (DateTimeParseException notDate) {
                    return false;
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
                Heading h = Heading.of(lines[i]);
                if (h != null) {
                    inSection = REQUEST_SECTION.matcher(h.text()).lookingAt();
                    sawSection |= inSection;
                    continue;
                }
                if (lines[i].startsWith("body:")) {
                    return lines[i].substring("body:".length()).strip();
                }
                if (inSection) {
                    out.add(lines[i]);
                }
            }
            if (!sawSection) {
                for (int i = bodyStart; i < lines.length; i++) {
                    if (Heading.of(lines[i]) == null) {
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
                Heading h = Heading.of(lines[i]);
                if (isStepsHeading(h)) {
                    start = i + 1;
                    level = h.level();
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
                Heading h = Heading.of(line);
                if (h != null && h.level() <= level) {
                    break;
                }
                if (line.isBlank()) {
                    continue;
                }
                int indent = indent(line);
                Item item = Item.of(line, indent);
                if (item != null && (stepIndent < 0 || indent <= stepIndent)) {
                    stepIndent = indent;
                    if (steps.size() == MAX_STEPS) {
                        throw new PlanFormatException(name, i + 1, "a plan may have at most " + MAX_STEPS + " steps");
                    }
                    String text = withoutStepPrefix(item.text());
                    steps.add(Step.builder(steps.size() + 1, text.isEmpty() ? "(empty step)" : text)
                            .checked(item.checked())
                            .flaggedSensitive(sensitive(text))
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
                    countYamlDocument(i + 1);
                    JsonNode node = yaml(i + 1, j, lang + " block");
                    if (node != null && node.isObject()) {
                        node.properties().forEach(e -> put(step, e.getKey(), value(e.getValue()), i + 1));
                    } else if (node != null && !node.isNull() && !node.isMissingNode()) {
                        throw new PlanFormatException(name, i + 1, "a " + lang + " block must hold key: value pairs");
                    }
                }
                return j;
            }
            Item item = Item.of(lines[i], indent(lines[i]));
            String content = item != null ? item.text() : stripped;
            Matcher p = PARAMETER.matcher(content);
            if (p.matches()) {
                put(step, p.group(1), unquoted(p.group(2).strip(), i + 1), i + 1);
            }
            return i;
        }

        /** A value written in quotes, as YAML reads it ({@code "#sales"} is {@code #sales}); any other text as written. */
        private void countYamlDocument(int line) {
            if (++yamlBlocks > MAX_YAML_BLOCKS) {
                throw new PlanFormatException(
                        name,
                        line,
                        "a plan may have at most " + MAX_YAML_BLOCKS
                                + " yaml or json blocks and quoted values with escapes");
            }
        }

        private String unquoted(String text, int line) {
            if (text.length() < 2
                    || !(text.startsWith("\"") && text.endsWith("\"") || text.startsWith("'") && text.endsWith("'"))) {
                return text;
            }
            String inside = text.substring(1, text.length() - 1);
            if (plain(inside, text.charAt(0))) {
                // what YAML reads, without a YAML parser per value
                return text.charAt(0) == '\'' ? inside.replace("''", "'") : inside;
            }
            countYamlDocument(line);
            try {
                JsonNode node = YAML.readTree(text);
                return node.isString() ? node.asString() : text;
            } catch (JacksonException e) {
                return text;
            }
        }

        /**
         * Whether a quoted scalar's inside is printable ASCII that YAML reads as written, but for a
         * doubled quote inside single quotes.
         */
        private static boolean plain(String inside, char quote) {
            for (int i = 0; i < inside.length(); i++) {
                char c = inside.charAt(i);
                boolean doubledQuote =
                        quote == '\'' && c == '\'' && i + 1 < inside.length() && inside.charAt(i + 1) == '\'';
                if (doubledQuote) {
                    i++;
                } else if (c < 0x20 || c > 0x7E || c == quote || c == '\\' && quote == '"') {
                    return false;
                }
            }
            return true;
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
                for (String r :
                        String.valueOf(value).replace("[", "").replace("]", "").split(",")) {
                    if (!r.isBlank()) {
                        refs.add(r.strip());
                    }
                }
            }
            return refs;
        }

        /**
         * The plan, once its step ids are unique, every {@code depends_on} names another step and the
         * references make no cycle. A reference to a later step is the engine's to judge: it is an edge
         * in parallel mode, which a setting may choose.
         */
        private Plan validated(Plan plan) {
            Set<String> ids = new HashSet<>();
            for (Step s : plan.steps()) {
                if (s.id().isPresent() && !ids.add(s.id().get())) {
                    throw new PlanFormatException(name, s.line(), "two steps have the id '" + s.id().get() + "'");
                }
                plan.dependencyProblem(s).ifPresent(problem -> {
                    throw new PlanFormatException(name, s.line(), problem);
                });
            }
            plan.dependencyCycle().ifPresent(problem -> {
                throw new PlanFormatException(name, plan.steps().get(0).line(), problem);
            });
            return plan;
        }

        /**
         * A list item ({@code - text}, {@code 3. [x] text}): whether its checkbox is checked, and its text
         * without marker and checkbox, stripped. Read by a scan: a regular expression per line was the
         * parser's main cost on a file of many short lines.
         */
        private record Item(boolean checked, String text) {
            /**
             * The line read as an item, or null: after the indent a marker ({@code -}, {@code *},
             * {@code +}, or one to four digits and {@code .} or {@code )}), then white space, then an
             * optional checkbox {@code [ ]}, {@code [x]} or {@code [X]}.
             */
            static Item of(String line, int indent) {
                int i = indent;
                char first = i < line.length() ? line.charAt(i) : ' ';
                if (first == '-' || first == '*' || first == '+') {
                    i++;
                } else {
                    int digits = 0;
                    while (i < line.length() && line.charAt(i) >= '0' && line.charAt(i) <= '9') {
                        i++;
                        digits++;
                    }
                    if (digits < 1 || digits > 4 || i == line.length() || ".)".indexOf(line.charAt(i)) < 0) {
                        return null;
                    }
                    i++;
                }
                int afterMarker = i;
                i = skipSpace(line, i);
                if (i == afterMarker) {
                    return null;
                }
                boolean checked = false;
                if (i + 2 < line.length()
                        && line.charAt(i) == '['
                        && " xX".indexOf(line.charAt(i + 1)) >= 0
                        && line.charAt(i + 2) == ']') {
                    checked = line.charAt(i + 1) != ' ';
                    i = skipSpace(line, i + 3);
                }
                return new Item(checked, line.substring(i).strip());
            }

            /** The index after the white space (as {@code \s} has it) from i on. */
            private static int skipSpace(String line, int i) {
                while (i < line.length() && " \t\n\u000B\f\r".indexOf(line.charAt(i)) >= 0) {
                    i++;
                }
                return i;
            }
        }

        /** The text without a {@code Step 3:} prefix; only text that can start with one meets the pattern. */
        private static String withoutStepPrefix(String text) {
            int word = text.startsWith("**") ? 2 : 0;
            if (!text.regionMatches(true, word, "step", 0, 4)) {
                return text;
            }
            Matcher prefix = STEP_PREFIX.matcher(text);
            return prefix.lookingAt() ? text.substring(prefix.end()) : text;
        }

        /** Whether the text flags the step as sensitive; only text with a '(' or a symbol meets the pattern. */
        private static boolean sensitive(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '(' || c >= '\u2700') {
                    return SENSITIVE.matcher(text).find();
                }
            }
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
