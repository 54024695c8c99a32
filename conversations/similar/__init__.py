"""Finding existing use cases that mean the same as a new idea, and pairs of look-alikes in the portfolio."""
