"""Compound Scaling Lab: the Streamlit entry point (page config, navigation, shared state).

Pages live in app_pages/, not pages/: Streamlit would run a pages/ folder as a legacy multipage app.
"""

import streamlit as st

from ui.pages import PAGES, routes
from ui.session import init_state, pop_result_link

st.set_page_config(page_title="Compound Scaling Lab", page_icon=":material/architecture:", layout="wide")
init_state()
sections: dict[str, list] = {}
for route in routes():  # every page at /<key>; the Explorer also at / (ui/pages.py says why)
    spec = PAGES[route.key]
    sections.setdefault(spec.section, []).append(
        st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            url_path=route.url_path,
            default=route.default,
            visibility="hidden" if route.hidden else "visible",
        )
    )
navigation = st.navigation(sections)
if pop_result_link() and navigation.url_path != "saved":
    # A link such as /?result=7 names a saved result: show it where results are shown.
    st.switch_page(PAGES["saved"].path)
navigation.run()
