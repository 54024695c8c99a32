"""The risk register in chat."""
