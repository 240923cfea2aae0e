"""The test kit: loopback servers, a wall clock, golden files (see README.md)."""
