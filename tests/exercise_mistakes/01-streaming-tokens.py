"""Wrong-but-plausible solutions to chapter 01's exercises; each must get its own "Not yet".

Format (see tests/test_exercises.py): `# %% mistake: <exercise> | <words the message must contain>`,
then the code that replaces the starter cell.
"""

# %% mistake: timed-tokens | start the clock just before
# The clock starts at the first chunk, so the time to first token comes out as 0 (issue 24, 01·1).
import time


async def timed_tokens(llm, question):
    started = None
    pairs = []
    async for chunk in llm.astream(question):
        if chunk.content:
            if started is None:
                started = time.perf_counter()
            pairs.append((time.perf_counter() - started, chunk.content))
    return pairs


# %% mistake: timed-tokens | must read the stream
# A hard-coded list: the chapter's first tokens, at plausible times.
async def timed_tokens(llm, question):
    return [(0.05, "A"), (0.07, " token"), (0.09, " is"), (0.11, " the"), (0.13, " unit")]


# %% mistake: timed-tokens | not streaming
# Collects every chunk first, then times them: the times are taken after the stream has ended.
import time


async def timed_tokens(llm, question):
    started = time.perf_counter()
    chunks = [chunk async for chunk in llm.astream(question)]
    return [(time.perf_counter() - started, chunk.content) for chunk in chunks if chunk.content]


# %% mistake: timed-tokens | skip the chunks with no text
# Keeps the empty opening and closing chunks.
import time


async def timed_tokens(llm, question):
    started = time.perf_counter()
    pairs = []
    async for chunk in llm.astream(question):
        pairs.append((time.perf_counter() - started, chunk.content))
    return pairs


# %% mistake: timed-tokens | since just before the stream started
# Forgets to subtract the start: perf_counter's raw value is seconds since some unspecified moment.
import time


async def timed_tokens(llm, question):
    pairs = []
    async for chunk in llm.astream(question):
        if chunk.content:
            pairs.append((time.perf_counter(), chunk.content))
    return pairs


# %% mistake: cut-short | finish reason
# Guesses "cut short" from the length of the text (issue 24, 01·2).
async def answer_of(llm, question):
    text = ""
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        text += chunk.content
    print()
    return text + (" [cut short]" if len(text) < 80 else "")


# %% mistake: cut-short | not the last chunk
# Reads the finish reason from the very last chunk only; on OpenAI with stream_usage the usage chunk and
# LangChain's closing chunk come after the one that carries it.
async def answer_of(llm, question):
    text, last = "", None
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        text += chunk.content
        last = chunk
    print()
    cut = last.response_metadata.get("finish_reason") == "length"
    return text + (" [cut short]" if cut else "")


# %% mistake: cut-short | ends mid-sentence
# Guesses "cut short" from the missing full stop at the end.
async def answer_of(llm, question):
    text = ""
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        text += chunk.content
    print()
    cut = not text.rstrip().endswith((".", "!", "?"))
    return text + (" [cut short]" if cut else "")


# %% mistake: cut-short | print each chunk's text as it arrives
# Merges the chunks correctly but prints the answer only once the stream has ended.
async def answer_of(llm, question):
    message = None
    async for chunk in llm.astream(question):
        message = chunk if message is None else message + chunk
    print(message.content)
    cut = message.response_metadata.get("finish_reason") == "length"
    return message.content + (" [cut short]" if cut else "")


# %% mistake: cut-short | asked the model twice
# Streams the text, then asks again with ainvoke for the finish reason: two answers, twice the cost.
async def answer_of(llm, question):
    text = ""
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        text += chunk.content
    print()
    message = await llm.ainvoke(question)
    cut = message.response_metadata.get("finish_reason") == "length"
    return text + (" [cut short]" if cut else "")


# %% mistake: timed-tokens | not from the previous chunk
# Times the gap since the previous chunk instead of since the start.
import time


async def timed_tokens(llm, question):
    last = time.perf_counter()
    pairs = []
    async for chunk in llm.astream(question):
        if chunk.content:
            now = time.perf_counter()
            pairs.append((now - last, chunk.content))
            last = now
    return pairs


# %% mistake: timed-tokens | blocked
# Streams with the synchronous `stream` inside the async function: the times are right, the event loop blocked.
import time


async def timed_tokens(llm, question):
    started = time.perf_counter()
    pairs = []
    for chunk in llm.stream(question):
        if chunk.content:
            pairs.append((time.perf_counter() - started, chunk.content))
    return pairs


# %% mistake: cut-short | response_metadata.get('finish_reason')
# Reads the finish reason of every chunk with [...]: the chunks without one raise KeyError.
async def answer_of(llm, question):
    text, cut = "", False
    async for chunk in llm.astream(question):
        print(chunk.content, end="", flush=True)
        text += chunk.content
        cut = cut or chunk.response_metadata["finish_reason"] == "length"
    print()
    return text + (" [cut short]" if cut else "")


# %% mistake: timed-tokens | not a plain `for`
# A plain `for` over the async generator: TypeError, explained.
import time


async def timed_tokens(llm, question):
    started = time.perf_counter()
    pairs = []
    for chunk in llm.astream(question):
        if chunk.content:
            pairs.append((time.perf_counter() - started, chunk.content))
    return pairs


# %% mistake: timed-tokens | llm.stream is the synchronous one
# `async for` over the synchronous stream: TypeError, explained.
import time


async def timed_tokens(llm, question):
    started = time.perf_counter()
    pairs = []
    async for chunk in llm.stream(question):
        if chunk.content:
            pairs.append((time.perf_counter() - started, chunk.content))
    return pairs
