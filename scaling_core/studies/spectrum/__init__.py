"""Frequency spectra of image domains, what an input size keeps, the recipe that fits a domain, motion blur."""
