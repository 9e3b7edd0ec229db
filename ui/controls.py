"""The scaling controls every page shares: φ, the coefficients, the law toggle, rounding, base."""

from __future__ import annotations

import streamlit as st

from scaling_core.app.state import CUSTOM, FIELD_BY_NAME
from scaling_core.app.views.hardware import Device, devices, runtime_label
from scaling_core.lab.data import dataset_table
from scaling_core.lab.runs import lab_settings
from ui.session import apply_changes, bind, current_state, widget_key
from ui.store import app_store

SYMBOLS = {"alpha": "α (depth)", "beta": "β (width)", "gamma": "γ (resolution)"}


def slider(name: str, label: str, step: float, fmt: str = "%.3f") -> None:
    """A slider over a state field's allowed range."""
    spec = FIELD_BY_NAME[name]
    st.slider(
        label, spec.minimum, spec.maximum, step=step, format=fmt, help=f"Allowed: {spec.allowed()}.", **bind(name)
    )


def number(name: str, label: str, step: float, fmt: str = "%.3f", container=st, **kwargs) -> None:
    """A number input over a state field's allowed range."""
    spec = FIELD_BY_NAME[name]
    container.number_input(
        label,
        spec.minimum,
        spec.maximum,
        step=step,
        format=fmt,
        help=kwargs.pop("help", f"Allowed: {spec.allowed()}."),
        **kwargs,
        **bind(name),
    )


def multi_choice(name: str, label: str, options, container=st, **kwargs) -> None:
    """A multiselect over a comma-separated state field; emptying it keeps the last choice, since a comparison of
    nothing shows nothing."""
    key = widget_key(name)
    st.session_state[key] = getattr(current_state(), name).split(",")
    container.multiselect(label, options, key=key, on_change=_picked, args=(name,), **kwargs)


def _picked(name: str) -> None:
    picked = st.session_state[widget_key(name)]
    if picked:
        apply_changes(**{name: FIELD_BY_NAME[name].canonical(",".join(picked))})


def choice(name: str, label: str, **kwargs) -> None:
    """A select box over a state field's choices."""
    st.selectbox(label, FIELD_BY_NAME[name].choices, **kwargs, **bind(name))


def scaling_controls(*, classification: bool, rules: dict[str, str] | None = None) -> None:
    """Sidebar widgets for the shared recipe; the B0–B7 picker and class count only where they apply. `rules` (the
    Explorer's): a scaling-rule picker, named by these titles; a rule other than compound takes φ as s = 2^φ and
    shows its own parameter (dWr's α) in place of α, β, γ."""
    with st.sidebar:
        st.header("Scaling")
        if classification:
            choice(
                "preset",
                "Published variant",
                format_func=lambda p: "custom recipe" if p == CUSTOM else f"EfficientNet-{p.upper()} (official)",
                help="Picks the official width, depth and resolution; the sliders show its nominal recipe "
                "(paper coefficients at φ = N). Moving a slider returns to a custom recipe.",
            )
        compound = True
        if rules is not None:
            choice(
                "ex_rule",
                "Scaling rule",
                format_func=rules.get,
                help="Compound scales by α, β, γ at φ; another rule grows the FLOPs by s = 2^φ with its own "
                "exponents (core/rules.py): dWr (Dollár et al. 2021) or a single dimension.",
            )
            compound = current_state().ex_rule == "compound"
        slider("phi", "φ (compound coefficient)" if compound else "φ (the FLOP scale s = 2^φ)", 0.01)
        if compound:
            for coefficient in ("alpha", "beta", "gamma"):
                slider(coefficient, SYMBOLS[coefficient], 0.001)
            st.toggle(
                "Keep α·β²·γ² = 2",
                help="When on, moving one coefficient rescales the other two (keeping the "
                "ratio of their logs) so that each unit of φ doubles the cost.",
                **bind("keep_law"),
            )
        elif current_state().ex_rule == "dwr":
            slider("ex_dwr_alpha", "dWr α (width's share of the growth)", 0.05, fmt="%.2f")
        choice(
            "res_multiple",
            "Resolution multiple (px)",
            help="The scaled resolution r × base is rounded to the nearest multiple of this.",
        )
        if classification:
            spec = FIELD_BY_NAME["num_classes"]
            st.number_input("Classes", int(spec.minimum), int(spec.maximum), step=1, **bind("num_classes"))
        choice("base", "Base network")


LAB_RECIPES_WIDGET = "w_lab_recipes"


def _lab_recipes_changed() -> None:
    """The multiselect edits the comma-separated state field (an empty choice keeps the last one)."""
    picked = st.session_state[LAB_RECIPES_WIDGET]
    if picked:
        apply_changes(lab_recipes=",".join(picked))


def lab_controls() -> None:
    """The lab's dataset and recipes (the Lab and Robustness pages share them)."""
    recipes = lab_settings().recipes
    choice("lab_dataset", "Dataset", format_func=lambda name: dataset_table()[name].title)
    st.session_state[LAB_RECIPES_WIDGET] = current_state().lab_recipes.split(",")
    st.multiselect(
        "Recipes", list(recipes), key=LAB_RECIPES_WIDGET, on_change=_lab_recipes_changed, format_func=recipes.get
    )


@st.cache_data(ttl=30, show_spinner=False, max_entries=8)
def stored_devices(url: str) -> list[Device]:
    """The devices with latencies in the store at `url` (read at most every 30 s: a fleet's bench adds them)."""
    store = app_store()
    return devices(store) if store is not None else []


def runtime_picker(label: str = "Runtime") -> None:
    """The runtime that measures and models latency on this machine (shared by the Hardware, Pareto and Deployment
    pages through the link)."""
    st.selectbox(
        label,
        FIELD_BY_NAME["hw_runtime"].choices,
        format_func=runtime_label,
        help="What runs the network on this machine: PyTorch eager, torch.compile, or the network exported to ONNX "
        "and run by ONNX Runtime (fp32, or int8 by static quantization) or OpenVINO. Each runtime is a device of "
        "its own: its measurements and latency model are kept apart.",
        **bind("hw_runtime"),
    )


def device_picker(label: str = "Device") -> Device | None:
    """The device whose latencies and latency model the page uses (this machine, or one a fleet bench measured);
    a picker only once the store has latencies of another device."""
    store = app_store()
    if store is None:
        return None
    found = {("" if d.this_machine else d.fingerprint_id): d for d in stored_devices(store.url)}
    chosen = current_state().hw_device
    if chosen not in found:  # a link naming a device this store has not measured: back to this machine, said so
        st.warning(f"No latencies of device {chosen} in this store: showing this machine.")
        apply_changes(hw_device="")
    if len(found) > 1:
        st.selectbox(
            label,
            list(found),
            format_func=lambda key: f"{found[key].label} ({found[key].measurements:,} measured)",
            help="Devices of a fleet bench (`bench --fleet`) are measured on their own machines; this machine is "
            "measured here.",
            **bind("hw_device"),
        )
    return found[current_state().hw_device]
