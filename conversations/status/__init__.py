"""Status in chat: my items, one use case, the leaders' portfolio and its pictures."""
