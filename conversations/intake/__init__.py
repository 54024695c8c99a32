"""Proposing an AI idea: the intake questions, the similar-ideas notice, editing or withdrawing a proposal."""
