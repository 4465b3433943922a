"""The course's streaming benchmark: how much latency does our pipeline add to each token?

Streaming exists to hand each token to the reader the moment it exists, so the
course's `QueueCallbackHandler` and `StreamingAgentExecutor` should add nothing
measurable on top of LangChain's own per-chunk work. This package measures that,
side by side in one run, against the in-process course model:

- `timed_server`     a course model that records when it writes each token
- `paths`            the six ways of consuming a stream that we compare
- `polling_handler`  the well-known polling handler, for contrast only
- `stats`            tokens/s, time to first token, added latency percentiles
- `concurrency`      100+ concurrent streams, and the course model's own speed
- `chapters`         how long the whole chapter suite takes to execute
- `report`, `timeline`  the Markdown table and the PNG timeline
- `run`              the command line: `python -m benchmarks` (see README.md)
"""
