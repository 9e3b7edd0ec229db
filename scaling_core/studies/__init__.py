"""Studies built on the core and the lab: spectrum, robustness, deployment, representation."""
