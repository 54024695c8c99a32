"""Outgoing notifications: the outbox, its dispatcher, reminders, digests and the scheduler."""
