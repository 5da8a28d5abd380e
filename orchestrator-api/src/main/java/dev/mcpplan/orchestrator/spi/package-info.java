/**
 * Plugin interfaces: implement one, list the class in {@code META-INF/services} (and in
 * {@code provides ... with ...} when your jar is a module), and the orchestrator finds it through
 * {@link java.util.ServiceLoader}. Each can also be registered explicitly on the builder.
 *
 * <p>Providers are ordered by {@code priority()} (higher first), then by {@code id()}; two providers
 * with the same id are a configuration error, never a silent pick.
 *
 * <p>Stability: service provider interface. New methods arrive with default bodies, so an
 * implementation written against an earlier minor version keeps compiling.
 */
package dev.mcpplan.orchestrator.spi;
