"""Accuracy: the published table and the calibrated model, users' measured accuracies, Pareto fronts."""
