"""Pure operating-model rules: plain functions over plain data, driven by the policy."""
