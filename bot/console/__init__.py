"""The local chat: the same flows in a terminal, for trying aiom and for scripting."""
