"""Platform-neutral conversations and the operating-model rules. Imports no platform SDK."""
