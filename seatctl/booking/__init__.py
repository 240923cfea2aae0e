"""The booking workflow: seat labels, the journal, booking, watching. No printing here."""
