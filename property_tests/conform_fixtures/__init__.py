"""User-style implementations written for the conformance tests (property_tests/test_conform.py):
what a student or researcher writes, right and wrong, in plain Python, NumPy and torch."""
