"""The course model's HTTP side: the ASGI app and server, request checking, limits, SSE writing,
OpenAI errors, the test-only faults, and one module per OpenAI API (`request`/`completion` for Chat
Completions, `responses_request`/`responses` for the Responses API). Imports `brain` and `reading`.
"""
