"""Reminder sweeps, one module per kind, and what they share (working hours, snoozes, batches)."""
