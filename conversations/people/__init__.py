"""People: who is behind a platform user, away and delegates, leavers and handover."""
