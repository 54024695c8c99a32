"""Review groups as they stand today: the policy file, with what admins changed in chat stored over it."""
