"""KPIs in chat: defining, changing, recording values, and how they look."""
