"""The on-demand check of a page's analytic counts against fvcore on the built torch model."""

from __future__ import annotations

import streamlit as st

from scaling_core.core.arch import ScaledArch
from scaling_core.core.memory import MEMORY_LIMIT_ENV, default_memory_limit_bytes
from scaling_core.tasks.heads import TaskArch
from ui.session import shown


def fvcore_panel(network: ScaledArch | TaskArch, memory_bytes: int) -> None:
    """An expander with the modelled memory and a button that builds, traces and compares."""
    with st.expander("Check against fvcore (builds the torch model)"):
        limit = default_memory_limit_bytes()
        st.write(
            f"Modelled memory to build it: {memory_bytes / 2**30:.2f} GiB (float32 parameters plus every "
            f"conv/linear output at once); limit {limit / 2**30:.2f} GiB (half the RAM, or {MEMORY_LIMIT_ENV})."
        )
        if not st.button("Build and count with fvcore", key="verify"):
            return
        from scaling_core.nn.verify import verify  # torch and fvcore load only when asked

        with st.spinner("Building the model and tracing it with fvcore…"):
            result = shown(verify, network, limit)
        if result is None:
            return
        fv = result.fvcore
        st.write(
            f"fvcore (measured on the built model): MACs {fv.macs:,}, params {fv.params:,}, "
            f"activations {fv.activations:,}; by operator {fv.macs_by_op}."
        )
        if result.ok:
            st.success("The analytic count equals fvcore's, operator by operator.")
        else:
            st.error("Counts differ: " + "; ".join(result.differences))
