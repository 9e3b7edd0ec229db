"""Representation: Cover's count, few-shot transfer, linear probes, distillation and pruning."""
