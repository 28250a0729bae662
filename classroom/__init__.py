"""Classroom tools for the notebooks: release student versions, build the learner edition, grade.

See docs/instructors.md (docs/instructors.zh.md).

python -m classroom release notebooks/ build/student/
python -m classroom learner
python -m classroom grade SUBMISSION.ipynb --instructor notebooks/NAME.ipynb
"""

from .grade import grade
from .learner import learner_version, write_learner_edition
from .release import release, student_version
from .report import Report, format_report

__all__ = [
    "Report",
    "format_report",
    "grade",
    "learner_version",
    "release",
    "student_version",
    "write_learner_edition",
]
