"""Torch builders of the architecture descriptions, and the fvcore check that holds the counter to them."""
