"""The bare frameworks aiom is measured against, each run as its own server process."""
