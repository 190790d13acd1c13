"""Benchmarks: run as modules (python -m benchmarks.NAME); they print a table, then JSON."""
