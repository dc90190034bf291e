"""LLM Inference Sizer: the router. Page set-up, the declared navigation, the scenario sidebar, then the page."""

from ui import nav

nav.frame().run()
