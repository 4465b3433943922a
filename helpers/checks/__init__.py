"""The checks behind the chapters' exercises, one module per chapter (`chapter01` ... `chapter07`).

A chapter's check cell calls one function here, for example
`await check_timed_tokens(timed_tokens)`; it prints `Solved: ...` or
`Not yet: <what to fix>` (see `helpers/exercises.py`) and never raises.

Why the checks live here and not in the cells: a check is a test of the learner,
so it runs the learner's code on input the learner has not seen (another
question, another split of the stream, another number of steps) and watches
*when* the code produces its output, with streams it controls
(`helpers.checks.streams`). That takes more code than a reader should wade
through at the end of a chapter, and a check whose expectations are printed
in the notebook invites code written to the check rather than to the task.

`tests/test_exercises.py` proves every check both ways: the unsolved starter
and at least two wrong-but-plausible solutions per exercise
(`tests/exercise_mistakes/`) get their own "Not yet", and the official solution
(`helpers/solutions/`) gets "Solved".
"""
