"""The app's pages as data: key (its URL path and link fields), file, title, icon (Streamlit's Material
symbols, whose font the app serves: an emoji shows as an empty box where the viewer has no emoji font),
navigation section, and the control a user moves most on each (the speed benchmark and the page-run tests move it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MainControl:
    """A page's most used widget: its AppTest kind, its key, and two values to move it between."""

    kind: str
    key: str
    values: tuple


@dataclass(frozen=True)
class PageSpec:
    """One page of the navigation."""

    key: str
    path: str
    title: str
    icon: str
    section: str
    control: MainControl


PHI = MainControl("slider", "w_phi", (1.5, 2.0))  # the sidebar's φ, on every page that scales the network
PAGES = {
    p.key: p
    for p in (
        PageSpec("explorer", "app_pages/explorer.py", "Explorer", ":material/explore:", "Scaling", PHI),
        PageSpec("tasks", "app_pages/tasks.py", "Tasks", ":material/extension:", "Scaling", PHI),
        PageSpec("hardware", "app_pages/hardware.py", "Hardware", ":material/timer:", "Scaling", PHI),
        PageSpec(
            "pareto",
            "app_pages/pareto.py",
            "Pareto",
            ":material/scatter_plot:",
            "Decide",
            MainControl("slider", "w_pareto_phi_max", (5.0, 6.0)),
        ),
        PageSpec(
            "lab",
            "app_pages/lab.py",
            "Lab",
            ":material/science:",
            "Decide",
            MainControl("multiselect", "w_lab_recipes", (["efficientnet"], ["efficientnet", "width"])),
        ),
        PageSpec(
            "spectrum",
            "app_pages/spectrum.py",
            "Spectrum",
            ":material/graphic_eq:",
            "Decide",
            MainControl("number_input", "w_spectrum_target", (0.9, 0.95)),
        ),
        PageSpec(
            "robustness",
            "app_pages/robustness.py",
            "Robustness",
            ":material/shield:",
            "Decide",
            MainControl("number_input", "w_robust_level", (0.05, 0.1)),
        ),
        PageSpec(
            "deployment",
            "app_pages/deployment.py",
            "Deployment",
            ":material/drone:",
            "Decide",
            MainControl("slider", "w_deploy_phi_max", (3.0, 4.0)),
        ),
        PageSpec(
            "representation",
            "app_pages/representation.py",
            "Representation",
            ":material/psychology:",
            "Decide",
            MainControl("number_input", "w_cover_d", (40, 64)),
        ),
        PageSpec(
            "saved",
            "app_pages/saved.py",
            "Saved results",
            ":material/bookmarks:",
            "Share",
            MainControl("text_input", "w_saved_filter", ("a", "")),
        ),
    )
}
DEFAULT_PAGE = "explorer"


@dataclass(frozen=True)
class Route:
    """One entry of the navigation: a page's file served at a URL path ("" is the app's root), shown or hidden."""

    key: str
    url_path: str
    default: bool = False
    hidden: bool = False


def routes() -> tuple[Route, ...]:
    """Every page at /<key>, the default page also at the root; the sidebar shows each page once.

    Streamlit (1.67) serves its default page at the root only: the page's url_path then names nothing a browser
    can open, and /explorer would answer "Page not found". So the default page is served at the root, shown in the
    sidebar, and again, hidden, at its own path: `/` and `/explorer` both open it, each keeping its query string.
    The hidden entry comes last, so `st.switch_page` to the page's file (the first entry with it) opens the one the
    sidebar shows.
    """
    shown = tuple(Route(key, "" if key == DEFAULT_PAGE else key, default=key == DEFAULT_PAGE) for key in PAGES)
    return (*shown, Route(DEFAULT_PAGE, DEFAULT_PAGE, hidden=True))
