"""seatctl: book seats against a queue-based booking API and diagnose connection resets."""

__version__ = "0.1.0"

__all__ = ["__version__"]
