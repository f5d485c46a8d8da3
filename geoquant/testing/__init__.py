"""Helpers for geoquant's tests and for users testing code built on geoquant."""
