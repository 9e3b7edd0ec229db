"""Plotly figures: pure functions from DataFrames to figures, with the app's chart conventions."""
