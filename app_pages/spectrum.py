"""Spectrum: which domains need resolution more than width, from the power spectra of real images."""

import json

import pandas as pd
import streamlit as st

from scaling_core.accuracy.pareto import NamedRecipe, canonical_user_recipes, format_user_recipes, parse_user_recipes
from scaling_core.app.export import view_export
from scaling_core.app.plots.spectrum import blur_figure, capture_figure, slopes_figure, spectra_figure
from scaling_core.app.state import with_network
from scaling_core.app.tables import Column
from scaling_core.app.views.spectrum import (
    analyse_uploads,
    band_problems,
    blur_view,
    drawable,
    input_view,
    missing_domains,
)
from scaling_core.core.base import load_base
from scaling_core.core.recipe import Recipe
from scaling_core.studies.spectrum import domain_fit, motion_blur
from scaling_core.studies.spectrum.domain_fit import (
    CRITERIA,
    analyse_domains,
    domains_frame,
    images_frame,
    recommend,
)
from scaling_core.studies.spectrum.images import admit_uploads, domain_images, domain_table, spectrum_settings
from scaling_core.studies.spectrum.motion_blur import Motion
from ui.controls import choice, number, scaling_controls
from ui.export import chart, csv_button, figure
from ui.notes import model_notes
from ui.pages import PAGES
from ui.sections import lazy_tabs
from ui.session import apply_changes, current_state, set_state, shown, start_page
from ui.share import share_panel, stop_page
from ui.tables import table

DOMAINS_WIDGET = "w_spectrum_domains_pick"


def spectrum_columns(target: float) -> dict[str, Column]:
    """Short headers for the slopes tables (the CSV keeps the frames' names): the long ones scrolled at 1400 px."""
    share = f"{target:.0%}"
    slope = "Measured: the power spectrum's slope, fitted over the slope band."
    columns = {
        "alpha": Column("α", decimals=3, help=slope),
        "alpha_mean": Column("α mean", decimals=3, help=slope),
        "alpha_std": Column("α SD", decimals=3, help="Sample standard deviation over the images (— for one)."),
        "alpha_min": Column("α min", decimals=3),
        "alpha_max": Column("α max", decimals=3),
        "alpha_of_mean_spectrum": Column("α of mean", decimals=3, help="The slope of the domain's mean spectrum."),
        "alpha_low": Column("α low", decimals=3, help="The slope's interval: low end."),
        "alpha_high": Column("α high", decimals=3, help="The slope's interval: high end."),
        "r_squared": Column("R²", decimals=3),
        "side_px": Column("Side (px)", "integer"),
        "median_side_px": Column("Median side (px)", "integer"),
        "median_power_px_of_side": Column("Px / side (%)", "share", 0, help="The power size over the image's side."),
        "power_px_of_side": Column("Px / side (%)", "share", 0, help="The power size over the image's side."),
        "needed_px": Column("Needed (px)", "integer", help=f"The input size that keeps {share} of the criterion."),
        "power_share": Column("Power kept (%)", "share"),
        "detail_share": Column("Detail kept (%)", "share"),
        "power_share_blurred": Column("Power kept, blurred (%)", "share"),
        "detail_share_blurred": Column("Detail kept, blurred (%)", "share"),
    }
    for prefix in ("median_px_for", "px_for"):
        for kept in ("power", "detail"):
            columns[f"{prefix}_{share}_{kept}"] = Column(
                f"{share} {kept} (px)", "integer", help=f"The input size that keeps {share} of the {kept}."
            )
    return columns


settings = spectrum_settings()
limits = settings.upload


def domains_changed() -> None:
    """The multiselect edits the comma-separated state field."""
    apply_changes(spectrum_domains=",".join(st.session_state[DOMAINS_WIDGET]))


def records(frame) -> list[dict]:
    """A table as JSON-ready rows (missing values as null)."""
    return json.loads(frame.to_json(orient="records"))


@st.cache_data(show_spinner="Measuring the packaged images' spectra…", max_entries=16)
def packaged(names: tuple[str, ...], slope_band: tuple, detail_band: tuple, target: float):
    """The packaged domains analysed (cached per settings: the spectra do not change)."""
    return analyse_domains({n: domain_images(n) for n in names}, slope_band, detail_band, target)


@st.cache_data(show_spinner="Measuring your images' spectra…", max_entries=8)
def uploaded(files: tuple[tuple[str, bytes], ...], slope_band: tuple, detail_band: tuple, target: float):
    """The user's images that can be analysed, together, and one line for each file that cannot."""
    return analyse_uploads(files, slope_band, detail_band, target, limits)


scaling_controls(classification=False)
with st.sidebar:
    st.header("Spectrum")
    st.session_state[DOMAINS_WIDGET] = [n for n in current_state().spectrum_domains.split(",") if n]
    st.multiselect(
        "Packaged domains",
        list(domain_table()),
        key=DOMAINS_WIDGET,
        on_change=domains_changed,
        format_func=lambda name: domain_table()[name].title,
    )
    files = st.file_uploader(
        f"Your images ({', '.join(limits.formats)}; up to {limits.max_files} files of "
        f"{limits.max_bytes / 1e6:g} MB and {limits.max_pixels / 1e6:g} megapixels, "
        f"{limits.max_total_pixels / 1e6:g} megapixels in all)",
        type=["png", "jpg", "jpeg", "tif", "tiff"],
        accept_multiple_files=True,
        key="spectrum_upload",
        help="Analysed in this session only: a link does not carry your pixels.",
    )
    choice("spectrum_criterion", "The recipe must keep", format_func=CRITERIA.get)
    number("spectrum_target", "Share to keep", 0.01, "%.3f")
    number("spectrum_phi_max", "Largest φ", 0.5, "%.1f")
    left, right = st.columns(2)
    number("spectrum_detail_low", "Detail band from", 8.0, "%.0f", left, help="cycles per image")
    number("spectrum_detail_high", "to (cycles/image)", 8.0, "%.0f", right, help="cycles per image")
    left, right = st.columns(2)
    number("spectrum_slope_low", "Slope fit from", 0.005, "%.3f", left, help="cycles per pixel")
    number("spectrum_slope_high", "to (cycles/px)", 0.005, "%.3f", right, help="cycles per pixel")
    st.subheader("Camera motion")
    number("motion_speed_dps", "Angular speed (°/s)", 10.0, "%.0f")
    number("motion_exposure_ms", "Exposure (ms)", 1.0, "%.1f")
    number("motion_fov_deg", "Field of view (°)", 5.0, "%.0f")

state = start_page(
    "Spectrum",
    "An image is a 2-D signal. Input resolution sets the highest frequency a network can "
    "see (r/2 cycles per image), so a domain whose power reaches high frequencies wants more of the "
    "budget in γ than one whose power sits low. Measured here on real images that ship inside "
    "Python packages, and on yours.",
    "spectrum",
)
slope_band = (state.spectrum_slope_low, state.spectrum_slope_high)
detail_band = (state.spectrum_detail_low, state.spectrum_detail_high)
problems = band_problems(slope_band, detail_band)
for message in problems:
    st.error(message)
if problems:
    stop_page("spectrum")

names = tuple(n for n in state.spectrum_domains.split(",") if n)
summaries = shown(packaged, names, slope_band, detail_band, state.spectrum_target) if names else []
if summaries is None:
    stop_page("spectrum")
summaries = list(summaries)
if files:
    # Headers first: files past the per-upload limits are refused before any pixel is decoded.
    admitted, refused = admit_uploads(tuple((f.name, f.getvalue()) for f in files), limits)
    yours = uploaded(tuple(admitted), slope_band, detail_band, state.spectrum_target)
    for message in [*refused, *yours.messages]:
        st.error(message)
    if refused or yours.messages:
        still = ([f"{yours.analysed} of your images"] if yours.analysed else []) + (
            [f"the packaged domains ({', '.join(names)})"] if names else []
        )
        st.caption(f"Still shown: {' and '.join(still)}." if still else "None of your images could be analysed.")
    summaries += yours.summaries
if not summaries:
    st.info("Pick a packaged domain or upload an image in the sidebar.")
    stop_page("spectrum")

target = state.spectrum_target
largest = max(s.spectrum.side for d in summaries for s in d.images)
images, domains = images_frame(summaries, target), domains_frame(summaries, target)
columns = spectrum_columns(state.spectrum_target)
base_px = load_base(state.base).resolution_px
recipe = Recipe(state.alpha, state.beta, state.gamma)
motion = shown(lambda: Motion(state.motion_speed_dps, state.motion_exposure_ms / 1000, state.motion_fov_deg))
if motion is None:
    stop_page("spectrum")
inputs = shown(input_view, summaries, recipe, state.spectrum_phi_max, base_px, state.res_multiple, detail_band, motion)
if inputs is None:
    stop_page("spectrum")
phis, capture, steps = inputs.phis, inputs.capture, inputs.steps
column, what = (
    ("power_share", "all power")
    if state.spectrum_criterion == "power"
    else ("detail_share", f"the {detail_band[0]:g}–{detail_band[1]:g} cycles/image band")
)
drawn = drawable(capture, column)
recommendations = [
    recommend(
        s.required_px(state.spectrum_criterion),
        base_px,
        state.spectrum_phi_max,
        s.domain,
        state.spectrum_criterion,
        settings.law_target,
        state.res_multiple,
    )
    for s in summaries
    if s.required_px(state.spectrum_criterion) is not None
]
recommended = [
    {
        "domain": r.domain,
        "needed_px": r.required_px,
        "alpha": r.recipe.alpha,
        "beta": r.recipe.beta,
        "gamma": r.recipe.gamma,
        f"r(φ={r.phi:g})_px": r.resolution_px,
        "note": r.limited or "",
    }
    for r in recommendations
]
# One section at a time (lazy tabs): a section is drawn only when it is open; what the share box exports is
# computed above, whichever is open.
spectra_tab, slopes_tab, keeps_tab, recipe_tab, blur_tab = lazy_tabs(
    "spectrum",
    (
        "Spectra and their slopes",
        "Slopes by domain",
        "What an input keeps",
        "A recipe for each domain",
        "Motion blur",
    ),
)
if spectra_tab is not None:
    with spectra_tab:
        st.caption(
            f"Measured. Each image: luma (ITU-R BT.601), mean removed, 2-D Hann window, |FFT|² averaged over rings "
            f"of equal frequency. α is the least-squares slope of log power against log frequency over "
            f"{slope_band[0]:g}–{slope_band[1]:g} cycles per pixel, with the fit's 95% interval (Student t, rings "
            "taken "
            "as independent: it understates the spread between images, which the domain's standard deviation shows). "
            "A domain's mean is the geometric mean of its images' spectra, each normalised to unit power, in cycles "
            "per image. The input size needed grows with an image's own size (a larger file holds finer detail): "
            "compare an image's side (px) with the share of it that is needed."
        )
        chart(figure(spectra_figure, summaries, slope_band), "spectra")
        # An input size is missing where an image holds too little of the detail band to keep 95% of it.
        table(domains, columns)
        table(images, columns, hide=("r_squared",))  # the fits' R² is in the CSV
        csv_button(images, "spectrum-images", "Images as CSV")
if slopes_tab is not None:
    chart(figure(slopes_figure, images), "slopes", slopes_tab)
if keeps_tab is not None:
    with keeps_tab:
        st.caption(
            f"Measured on the images: the share of their spectral power below an input's Nyquist frequency, as if "
            f"the shorter side were resampled to r px with an ideal antialiasing filter. Marked: your recipe (α = "
            f"{recipe.alpha:.3f}, β = {recipe.beta:.3f}, γ = {recipe.gamma:.3f}) at φ = 0…{state.spectrum_phi_max:g} "
            "on "
            f"{state.base} ({base_px} px, rounded to multiples of {state.res_multiple}). The detail band is in cycles "
            f"per image; the default is {settings.detail_band_why}."
        )
        for note in inputs.notes:
            st.info(note)
        absent = missing_domains(capture, drawn)
        if absent:
            st.info(
                f"Not drawn: {', '.join(absent)}: no image reaches the {detail_band[0]:g}–{detail_band[1]:g} "
                "cycles/image "
                "band. Choose a lower band, or the criterion 'all spectral power'."
            )
        if not drawn.empty:
            chart(figure(capture_figure, drawn, column, what, inputs.marks, target), "spectrum-capture")
        st.caption(
            "Below: the shares at your recipe's r(φ); the blurred columns are modelled (the Motion blur tab's "
            "transfer applied to the measured spectra)."
        )
        # No detail share where the detail band lies beyond every image's own size.
        table(steps, columns)
if recipe_tab is not None:
    with recipe_tab:
        st.caption(
            f"Modelled: the rule below, applied to the median over each domain's images of the input size that keeps "
            f"{target:.0%} of {CRITERIA[state.spectrum_criterion]} (measured). γ is raised until r(φ = "
            f"{state.spectrum_phi_max:g}) reaches that size, and the rest of α·β²·γ² = {settings.law_target:g} goes to "
            "depth and width in EfficientNet's proportion. Compare EfficientNet's own γ = 1.15 (published: Tan & Le, "
            "ICML 2019)."
        )
        table(
            pd.DataFrame(recommended),
            {
                "needed_px": columns["needed_px"],  # the recipe's α, β, γ: the app's own labels, not the slopes'
                f"r(φ={state.spectrum_phi_max:g})_px": Column(f"Input at φ={state.spectrum_phi_max:g} (px)", "integer"),
            },
        )
        if not recommendations:
            st.info(
                f"No image reaches the detail band ({detail_band[0]:g}–{detail_band[1]:g} cycles per image; the "
                "largest "
                f"image carries {largest // 2} cycles): choose a lower band, or the criterion 'all spectral power'."
            )
        else:
            picked = st.selectbox(
                "Use a domain's recipe",
                range(len(recommendations)),
                key="spectrum_pick",
                format_func=lambda i: (
                    f"{recommendations[i].domain}: α = {recommendations[i].recipe.alpha:.3f}"
                    f", β = {recommendations[i].recipe.beta:.3f}, γ = "
                    f"{recommendations[i].recipe.gamma:.3f}"
                ),
            )
            chosen = recommendations[picked]
            left, right = st.columns(2)
            if left.button("Open it in the Explorer", key="spectrum_to_explorer"):
                sent = shown(
                    with_network, state, chosen.recipe.alpha, chosen.recipe.beta, chosen.recipe.gamma, chosen.phi
                )
                if sent is not None:
                    set_state(sent)
                    st.switch_page(PAGES["explorer"].path)
            if right.button("Add it to the Pareto page", key="spectrum_to_pareto"):
                name = f"{chosen.domain} fit ({chosen.criterion})"
                mine = [r for r in parse_user_recipes(state.pareto_recipes) if r.name != name]
                text = shown(
                    canonical_user_recipes,
                    format_user_recipes([*mine, NamedRecipe(name, chosen.recipe, "yours", builtin=False)]),
                )
                if text is not None:
                    apply_changes(pareto_recipes=text)
                    st.switch_page(PAGES["pareto"].path)
        with st.expander("The rule and its assumptions"):
            model_notes(domain_fit)
if blur_tab is not None:
    with blur_tab:
        st.caption(
            f"Modelled transfer on the measured spectra. A camera turning at {state.motion_speed_dps:g}°/s for "
            f"{state.motion_exposure_ms:g} ms across a {state.motion_fov_deg:g}° field of view smears each point over "
            f"L = ω·t·r/FOV = {motion.sweep:.4f}·r px, which multiplies the power at f cycles per pixel by "
            "sinc²(π f L) "
            f"(averaged over the motion's direction). Defaults: {settings.motion_why}."
        )
        if not drawn.empty:
            chart(figure(blur_figure, drawn, column, what, motion), "spectrum-blur")
        blur = shown(blur_view, summaries, detail_band, motion, largest)
        if blur is not None:
            st.write(blur.note)
            if not blur.plateau.empty:
                table(blur.plateau, columns)
        with st.expander("The blur model and its assumptions"):
            model_notes(motion_blur)

share_panel(
    "spectrum",
    lambda: view_export(
        state,
        "spectrum",
        {
            "images": records(images),
            "domains": records(domains),
            "recommendations": recommended,
            "recipe_steps": records(steps),
        },
    ),
)
