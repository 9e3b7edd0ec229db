"""Task heads (detection, segmentation, multi-task, video) on the scaled backbone: specs, exact counts, the scaling law (no torch)."""
