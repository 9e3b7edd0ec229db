"""This machine: its fingerprint, measured latency, the latency model fitted on it, the best recipe in a budget."""
