"""Rendering: consoles, error lines, request traces. The only package that writes output."""
