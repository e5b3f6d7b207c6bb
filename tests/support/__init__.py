"""Helpers shared by the test tiers and the benchmarks; never shipped in the wheel.

Why here and not in `halotrack`: the installed package carries only what the application
uses. Tests import `tests.support.<module>` (pytest puts the repository root on sys.path);
bench/ scripts add the repository root to sys.path themselves.
"""
