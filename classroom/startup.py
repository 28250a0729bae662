"""Imported first by the classroom's commands: leave out an optional import that costs more than
it gives them.

jsonschema, which nbformat imports to validate notebooks, imports ``rfc3987_syntax`` when it is
installed (JupyterLab's dependencies bring it) to check the "iri" string format; that builds a
parser grammar at import, 1.2-1.3 s of CPU here, in every grading process. Notebook schemas use
no string format, so the commands' processes tell Python that module is missing: a ``None`` in
``sys.modules`` makes its import raise ImportError, which jsonschema expects of an optional one.
"""

import sys

if "jsonschema" not in sys.modules:  # too late once jsonschema is in: it changes nothing then
    sys.modules.setdefault("rfc3987_syntax", None)
