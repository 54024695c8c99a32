"""`python -m bench [--quick]`: every benchmark, both databases, one table (bench/results/latest.md)."""
import sys

from bench.run import main

sys.exit(main())
