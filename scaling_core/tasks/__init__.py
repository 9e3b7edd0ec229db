"""Task heads on the scaled backbone (detection, segmentation, multi-task, video): specs, exact counts, the law."""
