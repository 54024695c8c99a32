"""A small, realistic demo organisation (`aiom demo`), marked as demo data and removed cleanly (`--remove`)."""
