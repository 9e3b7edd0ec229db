"""The app's pages as data: key (its URL path and link fields), file, title, icon, navigation section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page of the navigation."""

    key: str
    path: str
    title: str
    icon: str
    section: str


PAGES = {
    p.key: p
    for p in (
        PageSpec("explorer", "app_pages/explorer.py", "Explorer", "🔭", "Scaling"),
        PageSpec("tasks", "app_pages/tasks.py", "Tasks", "🧩", "Scaling"),
        PageSpec("hardware", "app_pages/hardware.py", "Hardware", "⏱️", "Scaling"),
        PageSpec("pareto", "app_pages/pareto.py", "Pareto", "📈", "Decide"),
        PageSpec("lab", "app_pages/lab.py", "Lab", "🧪", "Decide"),
        PageSpec("spectrum", "app_pages/spectrum.py", "Spectrum", "🌈", "Decide"),
        PageSpec("robustness", "app_pages/robustness.py", "Robustness", "🛡️", "Decide"),
        PageSpec("deployment", "app_pages/deployment.py", "Deployment", "🚁", "Decide"),
        PageSpec("representation", "app_pages/representation.py", "Representation", "🧠", "Decide"),
        PageSpec("saved", "app_pages/saved.py", "Saved results", "🗂️", "Share"),
    )
}
DEFAULT_PAGE = "explorer"
