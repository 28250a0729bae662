"""Classroom tools for the notebooks: release student versions, build the learner edition, grade.

See docs/instructors.md (docs/instructors.zh.md).

python -m classroom release notebooks/ build/student/
python -m classroom learner
python -m classroom grade SUBMISSION.ipynb --instructor notebooks/NAME.ipynb

The package imports nothing itself, so that a process that needs one part (a class run's own
process, the kernel fork server) does not pay for the others (torch): import the module you use,
``classroom.grade.grade``, ``classroom.release.release``, ``classroom.report.format_report`` ….
"""
