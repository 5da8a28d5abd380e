package dev.mcpplan.orchestrator.spi;

import java.util.Map;
import java.util.Objects;

/**
 * An action a detector found in a step: its type (for example {@code send_email}) and the parameters
 * for it, which include the step's own parameters and any the detector extracted from the text.
 *
 * @param type the action type; lower case with underscores by convention
 * @param parameters the parameters, JSON-like; copied deeply
 */
public record DetectedAction(String type, Map<String, Object> parameters) {
    public DetectedAction {
        Objects.requireNonNull(type, "type");
        if (type.isBlank()) {
            throw new IllegalArgumentException("action type must not be blank");
        }
        parameters = JsonValues.copyOf(parameters);
    }
}
