"""The Explorer's drawing of the network beside its base: blocks as long as their repeats, as tall as their channels,
labelled with their output resolution, base above and scaled below; it reads at the controls' extremes."""

import json
import math

import pytest
from figure_checks import figure_problems

from scaling_core import Recipe, count, scale_recipe
from scaling_core.app.plots import style
from scaling_core.app.plots.network import network_figure
from scaling_core.app.state import FIELD_BY_NAME, AppState
from scaling_core.app.views.explorer import base_network, explore, network_blocks
from scaling_core.core.errors import ConfigError

RECIPE = Recipe(1.2, 1.1, 1.15)


def parts_of(arch) -> list[tuple[str, int, int, int]]:
    """(part, output channels, repeats, output px) of stem, stages and head, as the arch and its count say."""
    sides = [part.output_px for part in count(arch).parts]
    layers = [("stem", arch.stem.out_channels, 1)]
    layers += [(f"stage {i}", s.first.out_channels, s.repeats) for i, s in enumerate(arch.stages, start=1)]
    layers.append(("head", arch.head.out_channels, 1))
    return [(name, channels, repeats, int(side)) for (name, channels, repeats), side in zip(layers, sides)]


def bars(fig, axis: str) -> list[dict]:
    """The figure's bars drawn on one y axis ("y": the top row, "y2": the bottom one), left to right."""
    spec = json.loads(fig.to_json())
    return [
        {"part": t["name"], "x": t["x"][0], "width": t["width"][0], "y": t["y"][0], "text": t["text"][0]}
        for t in spec["data"]
        if t["type"] == "bar" and t.get("yaxis", "y") == axis
    ]


def test_the_blocks_follow_the_arch_exactly():
    base, scaled = scale_recipe(RECIPE, 0.0), scale_recipe(RECIPE, 2.0)
    blocks = network_blocks(base, scaled)
    for network, arch in (("base", base), ("scaled", scaled)):
        rows = blocks[blocks["network"] == network]
        assert list(zip(rows["part"], rows["channels"], rows["repeats"], rows["output_px"])) == parts_of(arch)
        ends = list(rows["start"] + rows["repeats"])
        assert list(rows["start"]) == [0, *ends[:-1]]  # contiguous, in order
        assert ends[-1] == arch.total_blocks + 2  # every stage's blocks, the stem and the head
        assert list(rows["label"]) == [f"{px:,} px" for *_, px in parts_of(arch)]
    assert blocks["title"].iloc[0].startswith("base, efficientnet-b0: 224 px input, 16 blocks")


def test_the_scaled_network_is_drawn_longer_and_taller_exactly_as_the_arch_says():
    base, scaled = scale_recipe(RECIPE, 0.0), scale_recipe(RECIPE, 2.0)
    fig = network_figure(network_blocks(base, scaled))
    top, bottom = bars(fig, "y"), bars(fig, "y2")
    for drawn, arch in ((top, base), (bottom, scaled)):
        assert [(b["part"], b["y"], b["width"], b["text"]) for b in drawn] == [
            (name, channels, repeats, f"{px:,} px") for name, channels, repeats, px in parts_of(arch)
        ]
        assert [b["x"] for b in drawn] == [sum(b["width"] for b in drawn[:i]) for i in range(len(drawn))]
    for low, high, base_stage, scaled_stage in zip(top[1:-1], bottom[1:-1], base.stages, scaled.stages):
        assert high["width"] / low["width"] == scaled_stage.repeats / base_stage.repeats >= 1
        assert high["y"] / low["y"] == scaled_stage.first.out_channels / base_stage.first.out_channels >= 1
    assert sum(b["width"] for b in bottom) > sum(b["width"] for b in top)  # deeper: longer
    assert [b["text"] for b in bottom][0] == f"{math.ceil(scaled.resolution_px / 2):,} px"  # the stem halves it
    assert figure_problems(json.loads(fig.to_json())) == []


def test_the_two_networks_share_one_length_and_one_channel_scale():
    fig = network_figure(network_blocks(scale_recipe(RECIPE, 0.0), scale_recipe(RECIPE, 3.0)))
    layout = json.loads(fig.to_json())["layout"]
    assert layout["yaxis"]["type"] == layout["yaxis2"]["type"] == "log"
    assert layout["yaxis"]["range"] == layout["yaxis2"]["range"] and layout["yaxis"]["range"][0] == 0  # from 1
    assert layout["xaxis"]["range"] == layout["xaxis2"]["range"]
    assert layout["uniformtext"]["mode"] == "hide"  # a label that does not fit its block is left out, not overlapped


def test_the_base_of_a_published_variant_is_the_presets_base_unscaled():
    state = AppState(preset="b4", phi=4.0, alpha=1.4)
    base = base_network(state)
    assert base.multipliers.depth == base.multipliers.width == base.multipliers.resolution == 1.0
    assert base.resolution_px == 224 and count(base).macs == explore(state).base_macs


# At γ's smallest the input shrinks by 2^φ: past φ ≈ 2.8 it rounds below the base's 32 px and the page explains
# instead of drawing, so γ's smallest is drawn at this φ.
SMALLEST_GAMMA_PHI = 2.5


def extreme_states() -> list[AppState]:
    """Every coefficient at either end of its slider, at φ's largest (γ's smallest: at SMALLEST_GAMMA_PHI), and φ = 0,
    a preset and the other base."""
    phi = FIELD_BY_NAME["phi"]
    alphas, betas, gammas = ((FIELD_BY_NAME[n].minimum, FIELD_BY_NAME[n].maximum) for n in ("alpha", "beta", "gamma"))
    states = [
        AppState(phi=phi.maximum if gamma == max(gammas) else SMALLEST_GAMMA_PHI, alpha=alpha, beta=beta, gamma=gamma)
        for alpha in alphas
        for beta in betas
        for gamma in gammas
    ]
    return [AppState(phi=phi.minimum), *states, AppState(base="lab-tiny", phi=phi.maximum), AppState(preset="b7")]


def test_the_smallest_gamma_at_the_largest_phi_is_explained_not_drawn():
    with pytest.raises(ConfigError, match="resolution"):
        explore(AppState(phi=FIELD_BY_NAME["phi"].maximum, gamma=FIELD_BY_NAME["gamma"].minimum))


@pytest.mark.parametrize(
    "state", extreme_states(), ids=lambda s: f"{s.base}-{s.preset}-φ{s.phi:g}-α{s.alpha}-β{s.beta}-γ{s.gamma}"
)
def test_the_figure_reads_at_the_controls_extremes(state):
    view = explore(state)
    fig = network_figure(network_blocks(base_network(state), view.arch))
    spec = json.loads(fig.to_json())
    assert figure_problems(spec) == []
    assert len(spec["layout"]["title"]["text"]) <= style.TITLE_CHARACTERS
    top = spec["layout"]["yaxis"]["range"][1]
    assert all(0 < math.log10(t["y"][0]) < top for t in spec["data"])  # every block below the row's top
    longest = max(t["x"][0] + t["width"][0] for t in spec["data"])
    assert spec["layout"]["xaxis"]["range"] == [0, longest]
    for axis in ("y", "y2"):
        length = sum(t["width"][0] for t in spec["data"] if t.get("yaxis", "y") == axis)
        notes = [a for a in spec["layout"].get("annotations", []) if "too short to draw" in a["text"]]
        # a network too short to see at this scale is pointed at, not left as an empty row
        assert (length < 0.03 * longest) == any(a["yref"] == f"{axis} domain" for a in notes)
