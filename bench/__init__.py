"""Benchmarks of the help center, run with `make bench`."""
