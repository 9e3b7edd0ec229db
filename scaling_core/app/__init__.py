"""What the pages show, without streamlit: shareable state, per-page views, plotly figures, exports."""
