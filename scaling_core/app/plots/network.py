"""The scaled network drawn beside its base: one block per part (stem, each stage, head), so one sees what φ did.

A block's length is its repeats (stem and head one block each), on one axis shared by both networks, so the scaled
one is as much longer as depth made it; its height is its output channels on a log scale (a base's parts span 16 to
1,280 channels and a wide network millions: on a linear scale the narrow stages would vanish), from 1 channel, both
networks on the same scale; its label is its output resolution in px. A label that does not fit inside its block is
left out (plotly's uniform text, "hide"), never drawn over its neighbours; the hover keeps every figure.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from scaling_core.app.plots.style import MAX_LEGEND_ENTRIES, finish, log_axis

PART_COLOURS = qualitative.Plotly  # the same part has the same colour in both networks
LABEL_SIZE = 12  # a label's largest size; plotly shrinks labels to fit their blocks, down to LABEL_MIN_SIZE
LABEL_MIN_SIZE = 10
ROW_HEIGHT_PX = 170
HEADROOM = 1.08  # the tallest block stops short of the row's top (log units)
TOO_SHORT = 0.03  # a network shorter than this share of the axis is a sliver: a note says where it is


def network_figure(blocks: pd.DataFrame) -> go.Figure:
    """Base above, scaled below (`explorer.network_blocks`): length = repeats, height = channels (log), label = px."""
    networks = list(dict.fromkeys(blocks["network"]))
    titles = [blocks.loc[blocks["network"] == n, "title"].iloc[0] for n in networks]
    fig = make_subplots(rows=len(networks), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.16)
    parts = list(dict.fromkeys(blocks["part"]))
    colour = {part: PART_COLOURS[i % len(PART_COLOURS)] for i, part in enumerate(parts)}
    legend = len(parts) <= MAX_LEGEND_ENTRIES
    for row, network in enumerate(networks, start=1):
        for block in blocks[blocks["network"] == network].itertuples():
            fig.add_bar(
                x=[block.start],
                y=[block.channels],
                width=[block.repeats],
                offset=0,
                name=block.part,
                legendgroup=block.part,
                showlegend=legend and row == 1,
                marker={"color": colour[block.part], "line": {"color": "white", "width": 1}},
                text=[block.label],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": LABEL_SIZE},
                customdata=[[block.repeats, block.output_px]],
                hovertemplate=f"{network}, {block.part}: "
                "%{y:,} channels × %{customdata[0]:,} blocks, output %{customdata[1]:,} px<extra></extra>",
                row=row,
                col=1,
            )
    top = math.log10(max(float(blocks["channels"].max()), 10.0)) * HEADROOM
    channels = {**log_axis([1.0, *blocks["channels"]]), "range": [0.0, top]}  # from 1 channel: height ∝ log
    fig.update_yaxes(**channels, title_text="channels (log)")
    lengths = (blocks["start"] + blocks["repeats"]).groupby(blocks["network"], sort=False).max()
    longest = int(lengths.max())
    fig.update_xaxes(range=[0, longest], tickformat=",d")
    for row, network in enumerate(networks, start=1):
        if lengths[network] < TOO_SHORT * longest:  # a sliver at the axis' start: say where it is
            fig.add_annotation(
                x=int(lengths[network]),
                y=0.5,
                xref=f"x{row if row > 1 else ''}",
                yref=f"y{row if row > 1 else ''} domain",
                xanchor="left",
                showarrow=False,
                text=f"← the {network} network is here, {longest / lengths[network]:,.0f} times shorter: "
                "too short to draw",
            )
    fig.update_xaxes(title_text="blocks, in order (stem and head one each)", row=len(networks), col=1)
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        uniformtext={"minsize": LABEL_MIN_SIZE, "mode": "hide"},
        hovermode="closest",
    )
    return finish(
        fig,
        "What scaling did to the network",
        subtitle="length: repeats; height: output channels (log scale); label: output resolution",
        legend=legend,
        height=ROW_HEIGHT_PX * len(networks) + 250,
    )
