"""Compound Scaling Lab: the Streamlit entry point (page config, navigation, shared state).

Pages live in app_pages/, not pages/: Streamlit would run a pages/ folder as a legacy multipage app.
"""

import streamlit as st

from ui.session import init_state

st.set_page_config(page_title="Compound Scaling Lab", page_icon="📐", layout="wide")
init_state()
navigation = st.navigation({
    "Scaling": [st.Page("app_pages/explorer.py", title="Explorer", icon="🔭", default=True),
                st.Page("app_pages/tasks.py", title="Tasks", icon="🧩"),
                st.Page("app_pages/hardware.py", title="Hardware", icon="⏱️")],
})
navigation.run()
