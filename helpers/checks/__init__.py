"""The checks behind the chapters' exercises, one module per chapter (`chapter01` ... `chapter08`).

A chapter's check cell calls one function here, for example
`await check_timed_tokens(timed_tokens)`; it prints `Solved: ...` or
`Not yet: <what to fix>` (see `helpers/exercises.py`) and never raises.

Why the checks live here and not in the cells: a check is a test of the learner,
so it runs the learner's code on input the learner has not seen (another
question, another split of the stream, another number of steps) and watches
*when* the code produces its output, with streams it controls. That takes more
code than a reader should wade through at the end of a chapter, and a check
whose expectations are printed in the notebook invites code written to the
check rather than to the task.

The streams the checks control, each a real LangChain or OpenAI path:

- `streams`: `ScriptedChatModel` (one scripted answer) and `Recording` (wraps any
  `astream`); both log every handout and what the learner's code had produced by
  then, which tells streaming from waiting without a clock;
- `scripted_agent`: a tool-calling model that plays a random plan of steps, for
  the agent exercises of chapters 03 and 04;
- `scripted_openai`: a real `ChatOpenAI` whose HTTP client answers from memory,
  for chapter 07, where what is taught depends on `ChatOpenAI`'s own parsers;
- chapter 08's own: a run served over `httpx.MockTransport` and cut at random
  places (resuming with `Last-Event-ID`), and a token source that stops the
  reader for a while (a bounded queue's producer must not wait).

`tests/test_exercises.py` proves every check both ways: the unsolved starter
and at least two wrong-but-plausible solutions per exercise
(`tests/exercise_mistakes/`) get their own "Not yet", and the official solution
(`helpers/solutions/`) gets "Solved".
"""
