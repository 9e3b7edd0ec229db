"""The lab: the scaled family trained on packaged datasets, cached runs, and evaluations of trained runs."""
