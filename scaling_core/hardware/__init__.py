"""This machine: its fingerprint, measured latency, the latency model fitted on it, the best recipe under a latency budget."""
