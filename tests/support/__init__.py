"""Test support: databases, a controllable clock, and a neutral chat harness."""
