package dev.mcpplan.orchestrator.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedactorTest {
    private final Redactor redactor = Redactor.defaults();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "password",
                "db_password",
                "API_KEY",
                "x-api-key",
                "Authorization",
                "accessToken",
                "cookie",
                "Set-Cookie",
                "session",
                "session_id",
                "pin",
                "PIN",
                "card_pin",
                "pinCode",
                "cvv",
                "cvv2",
                "ssn",
                "user_ssn",
                "client_secret",
                "private_key",
                "credentials"
            })
    void valuesUnderSecretKeysAreMaskedAndTheKeysStay(String key) {
        assertThat(redactor.redact(Map.of(key, "s3cr3t-value"))).containsExactly(Map.entry(key, "***"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"shipping", "mapping", "spinner", "opinion", "classname", "processing", "title"})
    void shortNamesMatchOnlyWholeWords(String key) {
        assertThat(redactor.redact(Map.of(key, "value"))).containsExactly(Map.entry(key, "value"));
    }

    @Test
    void nestedMapsAndListsAreMaskedByKeyToo() {
        Map<String, Object> in = Map.of("outer", List.of(Map.of("password", "hunter2", "name", "db")));
        assertThat(redactor.redact(in)).isEqualTo(Map.of("outer", List.of(Map.of("password", "***", "name", "db"))));
    }

    @Test
    void configuredKeysAreAdded() {
        Redactor custom = Redactor.builder().secretKeys(List.of("IBAN")).build();
        assertThat(custom.redact(Map.of("payer_iban", "DE02120300000000202051")))
                .containsEntry("payer_iban", "***");
        assertThat(custom.redact(Map.of("password", "x"))).containsEntry("password", "***");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            password=hunter2 and more                  | password=*** and more
            {"api_key": "abc def", "n": 1}             | {"api_key": "***", "n": 1}
            {'pin': '1234'}                            | {'pin': '***'}
            Authorization: Basic dXNlcjpwYXNz          | Authorization: ***
            Authorization: Bearer abc.def              | Authorization: ***
            see https://example.com/x?token=abc&x=1    | see https://example.com/x?token=***&x=1
            failed: Bearer eyJhbGciOi.eyJzdWIi.c2ln    | failed: ***
            key sk_live_abcdef123456 leaked            | key *** leaked
            id AKIAABCDEFGHIJKLMNOP here               | id *** here
            jwt eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl       | jwt ***
            """)
    void secretsInTextAreMasked(String in, String out) {
        assertThat(redactor.redact(in)).isEqualTo(out);
    }

    @Test
    void aFailureIsDescribedWithItsCausesAndMasked() {
        var failure = new java.io.UncheckedIOException(
                "cannot use the approval ledger /vault/ledger.jsonl",
                new java.io.IOException("Resource deadlock avoided, password=hunter2"));
        assertThat(redactor.redact(failure))
                .isEqualTo("java.io.UncheckedIOException: cannot use the approval ledger /vault/ledger.jsonl"
                        + " (caused by java.io.IOException: Resource deadlock avoided, password=***)");
    }

    @Test
    void aCycleOfCausesIsDescribedOnce() {
        var first = new IllegalStateException("first");
        var second = new IllegalArgumentException("second", first);
        first.initCause(second);
        assertThat(redactor.redact(first))
                .isEqualTo("java.lang.IllegalStateException: first"
                        + " (caused by java.lang.IllegalArgumentException: second)");
    }

    @Test
    void privateKeysAreMasked() {
        String key = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----";
        assertThat(redactor.redact("key: \n" + key + " end")).isEqualTo("key: \n*** end");
    }

    @Test
    void configuredValuePatternsAreMasked() {
        Redactor custom = Redactor.builder()
                .valuePatterns(List.of(Pattern.compile("INV-\\d{6}")))
                .build();
        assertThat(custom.redact("invoice INV-123456 paid")).isEqualTo("invoice *** paid");
        assertThat(custom.redact(Map.of("ref", List.of("INV-654321")))).isEqualTo(Map.of("ref", List.of("***")));
    }

    @Test
    void builderRejectsNulls() {
        assertThatNullPointerException().isThrownBy(() -> Redactor.builder().valuePatterns(null));
        assertThatNullPointerException().isThrownBy(() -> Redactor.builder().secretKeys(null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            jane.doe@example.com                 | j***@***.com
            write to jane.doe@example.com today  | write to j***@***.com today
            +49 170 1234567                      | ***67
            +1 (555) 123-4567                    | ***67
            0170/1234567                         | ***67
            call 0170 1234567 today              | call ***67 today
            +4917012345678                       | ***78
            (555) 123-4567                       | ***67
            +49 (0)170 1234567                   | ***67
            +44 20 7946 0958                     | ***58
            id 00123456789                       | id ***89
            4111 1111 1111 1111                  | ****-****-****-1111
            4111-1111-1111-1111                  | ****-****-****-1111
            4111111111111111                     | ****-****-****-1111
            3782 822463 10005                    | ****-****-****-0005
            paid with 5500 0000 0000 0004.       | paid with ****-****-****-0004.
            6011111111111117 and 4012888888881881 | ****-****-****-1117 and ****-****-****-1881
            order 12 4111 1111 1111 1111         | order 12 ****-****-****-1111
            """)
    void personalDataIsMasked(String in, String out) {
        assertThat(redactor.redact(in)).isEqualTo(out);
    }

    @Test
    void aCardNumberSentAsANumberIsMasked() {
        assertThat(redactor.redact(Map.<String, Object>of(
                        "n", 4111111111111111L, "big", new BigInteger("4111111111111111"), "small", 42L, "count", 7)))
                .isEqualTo(Map.of("n", "****-****-****-1111", "big", "****-****-****-1111", "small", 42L, "count", 7));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-03-02",
                "14:15:30",
                "2026-03-02T14:15:30+01:00",
                "2026-03-02T14:15:30.123Z",
                "2026-03-02 14:15:30",
                "02.03.2026",
                "01/02/2026",
                "02-03-2026",
                "20260216-141530",
                "plan 20260216-141530 ok",
                "42",
                "0815",
                "port 8080",
                "retry 3 of 5",
                "took 1234567 ms",
                "1.2.3",
                "10.0.0.1",
                "0.5",
                "+01:00",
                "3.14159265358979323846",
                "1,234,567,890,123,456",
                "550e8400-e29b-41d4-a716-446655440000",
                "4111 1111 1111 1112",
                "20260216141530",
                "1234 5678 9012 3456 7890 1234",
                "call at 09:30 or 10:15"
            })
    void ordinaryValuesAreLeftAlone(String value) {
        assertThat(redactor.redact(value)).isEqualTo(value);
        assertThat(redactor.redact(Map.of("note", value))).containsEntry("note", value);
    }

    @Test
    void longTextNeitherOverflowsASmallStackNorTakesLong() throws InterruptedException {
        List<String> texts = List.of(
                "password=\"" + "ab\\\"c ".repeat(50_000) + "\"",
                "{\"note\":\"" + "x ".repeat(200_000) + "\"}",
                "1 ".repeat(100_000),
                "12-".repeat(100_000) + "1",
                "+49 " + "12 ".repeat(100_000),
                "x".repeat(300_000),
                "a@b.".repeat(50_000) + "com",
                "Bearer " + "a".repeat(300_000),
                "-----BEGIN RSA PRIVATE KEY-----" + "x\n".repeat(200_000) + "-----END RSA PRIVATE KEY-----");
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread worker = new Thread(
                null,
                () -> texts.forEach(t -> {
                    try {
                        redactor.redact(t);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }),
                "small-stack",
                256 * 1024);
        worker.setDaemon(true);
        worker.start();
        worker.join(20_000);
        assertThat(worker.isAlive()).as("still redacting after 20 s").isFalse();
        assertThat(failures).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ghp_R2d2C3poLuke7Leia9Han5Solo1Chewie0Ben",
                "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                "github_pat_11ABCDEFG0123456789abc_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXy",
                "glpat-xYz12_abCDefGHijKLmn-o",
                "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
                "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1",
                "xoxp-1234567890-abcdefghijKLMNOP",
                "AKIAIOSFODNN7EXAMPLE",
                "ASIAY34FZKBOKMUTVV7A",
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "rk_live_51H8y2KJf0abcdefGHIJklmn",
                "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
                "sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-AA",
                "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
                "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",
                "SK2b7c8e4f0a1d3e5f7a9b1c3d5e7f9a1b",
                "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            })
    void everyWellKnownTokenShapeIsMaskedWhereverItStands(String token) {
        for (String text : List.of("%s", "sent with %s.", "note: '%s'", "token_%s", "{\"value\":\"%s\"}")) {
            String in = text.formatted(token);
            assertThat(redactor.redact(in)).isEqualTo(text.formatted("***"));
        }
    }

    @Test
    void wordsThatMerelyStartLikeATokenStay() {
        for (String text : List.of(
                "npm_package_version",
                "task_manager_x",
                "desk-lamp-order",
                "SKU 12345",
                "ASIAN market",
                "AIzawa",
                "sg.example.com")) {
            assertThat(redactor.redact(text)).isEqualTo(text);
        }
    }

    @Test
    void configuredSecretValuesAreMaskedWhereverTheyAppear() {
        Redactor configured = Redactor.builder()
                .configuredValues(Map.of("MY_SECRET", "hunter2xyz", "DB_PASSWORD", "pass"))
                .configuredValues(Map.of("Authorization", "Bearer abc.def-ghi", "X-Client", "q8Z!r2@Lm#0"))
                .build();
        assertThat(configured.redact("connect failed as hunter2xyz (try pass 2)"))
                .isEqualTo("connect failed as *** (try *** 2)");
        assertThat(configured.redact("got abc.def-ghi back; client q8Z!r2@Lm#0"))
                .isEqualTo("got *** back; client ***");
        assertThat(configured.redact(Map.of("note", List.of("x hunter2xyz y"))))
                .isEqualTo(Map.of("note", List.of("x *** y")));
    }

    @Test
    void plainConfiguredValuesAreNotTreatedAsSecrets() {
        Redactor configured = Redactor.builder()
                .configuredValues(Map.of(
                        "NODE_ENV", "production",
                        "PORT", "8080",
                        "SMTP_HOST", "smtp.example.com",
                        "VAULT", "/home/me/vault",
                        "API_URL", "https://api.example.com/v1",
                        "DEBUG", "true",
                        "SHORT", "a1b2c3",
                        "TOKEN", "abc"))
                .build();
        String text = "production on 8080 via smtp.example.com, /home/me/vault, https://api.example.com/v1, true,"
                + " a1b2c3 abc";
        assertThat(configured.redact(text)).isEqualTo(text);
    }

    @Test
    void aConfiguredValueUnderASecretNameCountsHoweverPlainItLooks() {
        Redactor configured = Redactor.builder()
                .configuredValues(Map.of("SMTP_PASSWORD", "sunshine", "SERVICE", "x7Pq2Lm9Zr"))
                .build();
        assertThat(configured.redact("sunshine and x7Pq2Lm9Zr")).isEqualTo("*** and ***");
    }

    @Test
    void anAddressWhoseLocalPartLooksLikeATokenKeepsNoDomainInClear() {
        // found by RedactorPropertiesTest: the token shape took "pk_aaaaaa" and left "@aaa.com" standing
        assertThat(redactor.redact("reply to pk_aaaaaa@aaa.com")).isEqualTo("reply to p***@***.com");
    }
}
