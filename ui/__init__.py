"""Streamlit-aware helpers shared by the pages: navigation, cached data, the scenario inputs, formatting."""
