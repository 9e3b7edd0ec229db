"""The floor of benchmarks/interactive_speed.py: the least a page that draws a plotly chart can be (a title, a
slider, a metric, one plotly chart of a 50-point line, one 10-row table), laid out wide as the app is."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="One chart", layout="wide")
st.title("One-chart page")
phi = st.slider("φ (compound coefficient)", 0.0, 8.0, 1.0, step=0.01, key="w_phi")
st.metric("depth d", f"{1.2**phi:.4f}")
grid = np.linspace(0.0, 8.0, 50)
fig = go.Figure(go.Scatter(x=grid, y=2.0**grid, mode="lines", name="cost"))
fig.add_trace(go.Scatter(x=[phi], y=[2.0**phi], mode="markers", name="φ"))
fig.update_layout(title="Cost against φ", xaxis_title="φ", yaxis_title="MACs (×base)", yaxis_type="log", height=420)
st.plotly_chart(fig, width="stretch")
steps = np.arange(10) * 0.5
table = pd.DataFrame(
    {
        "φ": steps,
        "Depth d": 1.2**steps,
        "Width w": 1.1**steps,
        "Resolution r": 1.15**steps,
        "Input (px)": (224 * 1.15**steps).round().astype(int),
        "MACs (×base)": 2.0**steps,
    }
)
st.dataframe(table, hide_index=True, width="stretch")
