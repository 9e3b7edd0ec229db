"""The app's pages as data: key (its URL path and link fields), file, title, icon, navigation section, and the
control a user moves most on each (the speed benchmark and the page-run tests move it)."""

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
        PageSpec("explorer", "app_pages/explorer.py", "Explorer", "🔭", "Scaling", PHI),
        PageSpec("tasks", "app_pages/tasks.py", "Tasks", "🧩", "Scaling", PHI),
        PageSpec("hardware", "app_pages/hardware.py", "Hardware", "⏱️", "Scaling", PHI),
        PageSpec(
            "pareto",
            "app_pages/pareto.py",
            "Pareto",
            "📈",
            "Decide",
            MainControl("slider", "w_pareto_phi_max", (5.0, 6.0)),
        ),
        PageSpec(
            "lab",
            "app_pages/lab.py",
            "Lab",
            "🧪",
            "Decide",
            MainControl("multiselect", "w_lab_recipes", (["efficientnet"], ["efficientnet", "width"])),
        ),
        PageSpec(
            "spectrum",
            "app_pages/spectrum.py",
            "Spectrum",
            "🌈",
            "Decide",
            MainControl("number_input", "w_spectrum_target", (0.9, 0.95)),
        ),
        PageSpec(
            "robustness",
            "app_pages/robustness.py",
            "Robustness",
            "🛡️",
            "Decide",
            MainControl("number_input", "w_robust_level", (0.05, 0.1)),
        ),
        PageSpec(
            "deployment",
            "app_pages/deployment.py",
            "Deployment",
            "🚁",
            "Decide",
            MainControl("slider", "w_deploy_phi_max", (3.0, 4.0)),
        ),
        PageSpec(
            "representation",
            "app_pages/representation.py",
            "Representation",
            "🧠",
            "Decide",
            MainControl("number_input", "w_cover_d", (40, 64)),
        ),
        PageSpec(
            "saved",
            "app_pages/saved.py",
            "Saved results",
            "🗂️",
            "Share",
            MainControl("text_input", "w_saved_filter", ("a", "")),
        ),
    )
}
DEFAULT_PAGE = "explorer"
