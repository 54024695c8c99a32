"""What people do with a reminder: snooze it, carry on or discard an abandoned proposal."""
