"""The baseline of benchmarks/interactive_speed.py: the least a Streamlit page can be (a title, a slider, a metric)."""

import streamlit as st

st.title("Trivial page")
phi = st.slider("φ (compound coefficient)", 0.0, 8.0, 1.0, step=0.01, key="w_phi")
st.metric("depth d", f"{1.2**phi:.4f}")
