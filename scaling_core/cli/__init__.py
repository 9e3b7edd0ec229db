"""The command line (`python -m scaling_core` / `scaling-lab`): one module per group of commands."""
