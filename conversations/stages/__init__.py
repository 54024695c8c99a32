"""Moving through the gated stages: move requests, leadership decisions, gate facts, readiness drops."""
