"""Shared code for the hands-on LangChain streaming course.

Each module is taught in a chapter and reused by the chapters after it:

- `backend`            which model to talk to (course model, OpenAI, any compatible server) — chapter 01
- `course_model`       the offline, deterministic, OpenAI-compatible course model — chapter 01
- `tools`              the math tools and `final_answer` — chapter 02
- `agent`              the prompt and the tool-calling agent runnable — chapter 02
- `agent_executor`     the simple agent executor loop — chapter 02
- `tool_calls`         running tool calls safely, errors included — chapter 02
- `queue_handler`      `QueueCallbackHandler`, streaming through an asyncio.Queue — chapter 03
- `streaming_executor` the async streaming executor, `AgentRun`, and `as_runnable()` for events — chapters 03, 04
- `render`             `StreamRenderer`: readable text from a raw stream — chapter 03
- `chat_widget`        `ChatWidget`: chat with the streaming agent in the notebook (ipywidgets) — chapter 03
- `answer_reader`      `FieldReader`: one string field out of streamed JSON, read once — chapters 03, 05, 07
- `show`               `show_source`: chapters show helpers instead of pasting them — every chapter
- `web_app`            the FastAPI app that streams the agent as Server-Sent Events — chapter 05
- `langchain_agent`    the same agent built with LangChain's `create_agent`, its stream rendered — chapter 06
- `exercises`          `check(...)` and `show_solution(...)` for the exercises that end every chapter
- `checks`             the exercises' checks, one module per chapter, on streams they control — every chapter
- `solutions`          the exercises' official solutions (files, not a module): `show_solution` prints them

Importing `helpers` starts nothing; the course model starts on first use.
"""

__version__ = "0.1.0"
