"""Torch builders of the architecture descriptions and the fvcore check: the only model-layer modules that import torch."""
