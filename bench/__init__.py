"""aiom's benchmarks: `python -m bench` runs them all (see docs/benchmarks.md); the modules here are its parts."""
