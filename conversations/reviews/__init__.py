"""Stage gates and reviews: the pure rules (rules.py) and the operations flows and sweeps call."""
