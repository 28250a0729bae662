"""Build tools of the series, run by contributors and `make`, never imported by a lesson.

    translation.py  the Chinese edition: gettext catalogues in, notebooks/zh/ out (`make zh`)

Not installed with the lesson package: a learner's kernel imports ``helpers`` and ``convlab`` only.
"""
