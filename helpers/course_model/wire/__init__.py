"""The course model's HTTP side: the ASGI app and server, request checking, limits, SSE writing,
OpenAI errors, the test-only faults, and one module per OpenAI API. Imports `brain` and `reading`.
"""
