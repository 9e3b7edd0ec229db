"""The scaling core: recipes, rounding, base specs, the discrete architecture, exact counts, sweeps, settings."""
