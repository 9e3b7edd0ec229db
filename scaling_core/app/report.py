"""A self-contained HTML report of a Pareto comparison: figure, front, recipes, evidence and provenance."""

from __future__ import annotations

import html
import json

import pandas as pd
import plotly.graph_objects as go

FRONT_COLUMNS = (
    "recipe",
    "phi",
    "alpha",
    "beta",
    "gamma",
    "depth_multiplier",
    "width_multiplier",
    "resolution_multiplier",
    "resolution_px",
    "macs",
    "params",
    "activations",
    "memory_mb",
    "accuracy",
    "accuracy_error",
    "accuracy_source",
    "extrapolated",
)


def front_table(frame: pd.DataFrame, cost_column: str) -> pd.DataFrame:
    """The front's rows with the columns a reader needs (and the cost it was drawn against)."""
    columns = list(dict.fromkeys([*FRONT_COLUMNS[:9], cost_column, *FRONT_COLUMNS[9:]]))
    return frame.loc[frame["on_front"], [c for c in columns if c in frame]].sort_values(cost_column)


def comparison_report(
    title: str,
    figure: go.Figure,
    front: pd.DataFrame,
    recipes: pd.DataFrame,
    evidence: str,
    settings: dict,
    provenance: dict,
    link: str | None = None,
) -> str:
    """One HTML file with everything inline (plotly.js included): opens offline, in any browser, years later."""
    figure_html = figure.to_html(full_html=False, include_plotlyjs=True)
    link_html = f'<p>Open this view: <a href="{html.escape(link)}">{html.escape(link)}</a></p>' if link else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse;font-size:0.85em}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} pre{{background:#f6f6f6;padding:1em}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
{link_html}
<h2>Settings</h2><pre>{html.escape(json.dumps(settings, indent=2))}</pre>
<h2>Figure</h2>{figure_html}
<h2>Where the numbers come from</h2><p>{html.escape(evidence)}</p>
<h2>The front</h2>{front.to_html(index=False, float_format=lambda v: f"{v:.4g}")}
<h2>Recipes</h2>{recipes.to_html(index=False, float_format=lambda v: f"{v:.4g}")}
<h2>Provenance</h2><pre>{html.escape(json.dumps(provenance, indent=2))}</pre>
</body></html>
"""
