"""The executor: one place that runs a list of independent jobs in the local process pool or on a Dask cluster."""
