"""For `ehts bench`: the least a Streamlit page costs in the browser on this machine, with no
data and none of this app's code. `?chart=1` adds one small plotly chart, which makes the
browser load plotly.js. The bench times both as it times the dashboard's pages, so their
times can be read against this floor."""

import plotly.graph_objects as go
import streamlit as st

st.title("An empty page")
if st.query_params.get("chart"):
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2])), theme=None)
