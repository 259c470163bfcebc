"""Benchmarks: each workload as a ratio against a baseline run in the same process."""
