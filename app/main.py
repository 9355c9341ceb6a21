"""DCGAN Explorer: `streamlit run app/main.py`. Navigation, page set-up and the sidebar model picker."""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import core  # noqa: E402

# A local icon: a :material/...: page icon is fetched from an external font host and fails offline.
st.set_page_config(page_title="DCGAN Explorer",
                   page_icon=str(Path(__file__).resolve().parents[1] / "assets" / "icon.png"),
                   layout="wide")

pages = [
    st.Page("views/model.py", title="Model", icon=":material/memory:", default=True),
    st.Page("views/sliders.py", title="Latent sliders", icon=":material/tune:"),
    st.Page("views/walk.py", title="Walks", icon=":material/route:"),
    st.Page("views/arithmetic.py", title="Arithmetic", icon=":material/calculate:"),
    st.Page("views/invert.py", title="Invert", icon=":material/image_search:"),
    st.Page("views/filters.py", title="Filters", icon=":material/filter_vintage:"),
    st.Page("views/dissect.py", title="Inside G", icon=":material/biotech:"),
    st.Page("views/feature_map.py", title="Feature map", icon=":material/scatter_plot:"),
    st.Page("views/timeline.py", title="Timeline", icon=":material/timeline:"),
    st.Page("views/landscape.py", title="Landscape", icon=":material/landscape:"),
    st.Page("views/train.py", title="Train", icon=":material/model_training:"),
]
page = st.navigation(pages)
st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }</style>")  # less empty space above titles
st.sidebar.title("DCGAN Explorer")
with core.guard():
    core.model_picker()
st.sidebar.caption("Radford, Metz & Chintala (2015): *Unsupervised Representation Learning with Deep "
                   "Convolutional GANs*. Everything runs on your CPU.")
page.run()
