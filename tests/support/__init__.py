"""Code the tests share, kept out of the test modules so that no test module imports another.

lessons.py      the lessons in order, and a small slice of Fashion-MNIST for quick trainings
assignments.py  nbgrader-style cells and submissions built in code (classroom tests)
browser.py      JupyterLab in headless Chromium (the browser test and the widget latency
                benchmark, benchmarks/widget_latency.py)
"""
