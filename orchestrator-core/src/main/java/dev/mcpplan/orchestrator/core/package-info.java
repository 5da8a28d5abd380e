/**
 * The orchestrator engine's public entry points: {@link dev.mcpplan.orchestrator.core.McpPlanOrchestrator}
 * builds a {@link dev.mcpplan.orchestrator.PlanOrchestrator}; {@link dev.mcpplan.orchestrator.core.VaultPlanStore}
 * is the default plan store, a vault folder.
 *
 * <p>Stability: public API. Packages under {@code .internal} are implementation and may change at
 * any time.
 */
package dev.mcpplan.orchestrator.core;
