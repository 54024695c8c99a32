"""The operating-model conversations."""
