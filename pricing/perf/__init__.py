"""What-if performance model: GPU/model catalogues, calibrated roofline physics, sweeps and Pareto fronts."""
