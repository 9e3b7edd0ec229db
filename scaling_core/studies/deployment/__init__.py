"""Deployment physics: a drone's latency budget and blur, thermal throttling, low-bit quantization."""
