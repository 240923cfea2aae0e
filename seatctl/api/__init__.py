"""Typed calls of the booking API (contract.md), built on the one HTTP core."""
