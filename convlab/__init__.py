"""The machinery behind the lessons: what ``helpers.py`` and the Chinese edition are built on."""
