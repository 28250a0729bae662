"""Classroom tools for the notebooks: release student versions, grade submissions.

See "For instructors" in README.md (README.zh.md: "教师须知").

python -m classroom release notebooks/ build/student/
python -m classroom grade SUBMISSION.ipynb --instructor notebooks/NAME.ipynb
"""

from .grade import Report, format_report, grade
from .release import release, student_version

__all__ = ["Report", "format_report", "grade", "release", "student_version"]
