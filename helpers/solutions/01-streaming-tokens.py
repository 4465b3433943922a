"""Solutions to the exercises of chapter 01 (`chapters/01-streaming-tokens.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: timed-tokens
import time


async def timed_tokens(llm, question):
    """(seconds since the request, text) for every chunk with text, in the order they arrived."""
    started = time.perf_counter()
    pairs = []
    async for chunk in llm.astream(question):
        if chunk.content:
            pairs.append((time.perf_counter() - started, chunk.content))
    return pairs


# %% exercise: cut-short
async def answer_of(llm, question):
    """Print the answer as it streams; return its text, plus " [cut short]" if it hit the token limit."""
    message = None
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        message = chunk if message is None else message + chunk  # keeps the metadata of the closing chunks
    print()
    cut = message.response_metadata.get("finish_reason") == "length"
    return message.content + (" [cut short]" if cut else "")


# %% exercise: reasoning-apart
async def think_then_answer(llm, question, show_reasoning, show_text):
    """Stream the answer: each piece of reasoning to show_reasoning, each piece of text to show_text; return the text."""
    message = None
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):  # the opening block has no text
                show_reasoning(block["reasoning"])
            elif block["type"] == "text" and block["text"]:
                show_text(block["text"])
        message = chunk if message is None else message + chunk
    return message.text
