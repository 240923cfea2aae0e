"""Settings: defaults < config file (top level, then [profiles.NAME]) < SEATCTL_* < flags.

This package's `__init__` stays import-free on purpose: `seatctl.config.settings` pulls in
pydantic, which the start-up path (--help, --version, completion) must not pay for.
"""
