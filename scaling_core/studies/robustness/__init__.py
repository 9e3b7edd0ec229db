"""Adversarial attacks and corruptions on the lab's networks, and the margin model calibrated on them."""
