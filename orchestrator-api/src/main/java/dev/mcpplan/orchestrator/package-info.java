/**
 * The API a host application uses: build a {@link dev.mcpplan.orchestrator.PlanOrchestrator}, hand it
 * {@link dev.mcpplan.orchestrator.Plan}s, read {@link dev.mcpplan.orchestrator.CheckReport}s and
 * {@link dev.mcpplan.orchestrator.PlanResult}s.
 *
 * <p>Stability: public API. Types here change only in a compatible way within a major version; the
 * final classes with builders may gain fields and builder methods.
 */
package dev.mcpplan.orchestrator;
