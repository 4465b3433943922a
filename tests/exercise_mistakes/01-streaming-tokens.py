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


# %% mistake: reasoning-apart | never streamed
# Hard-coded: a plausible thought and answer, shown without asking the model.
async def think_then_answer(llm, question, show_reasoning, show_text):
    show_reasoning("Let me think about this step by step.")
    show_text("The answer is 42.")
    return "The answer is 42."


# %% mistake: reasoning-apart | only after the stream had ended
# Collects the chunks first, then hands the pieces over: right pieces, right order, nothing live.
async def think_then_answer(llm, question, show_reasoning, show_text):
    chunks = [chunk async for chunk in llm.astream(question)]
    for chunk in chunks:
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                show_reasoning(block["reasoning"])
            elif block["type"] == "text" and block["text"]:
                show_text(block["text"])
    return "".join(chunk.text for chunk in chunks)


# %% mistake: reasoning-apart | additional_kwargs holds none
# Looks for the reasoning where older LangChain versions (and output_version="v0") put it.
async def think_then_answer(llm, question, show_reasoning, show_text):
    answer = ""
    async for chunk in llm.astream(question):
        if reasoning := chunk.additional_kwargs.get("reasoning"):
            for part in reasoning.get("summary", []):
                show_reasoning(part["text"])
        if chunk.text:
            show_text(chunk.text)
            answer += chunk.text
    return answer


# %% mistake: reasoning-apart | returned the reasoning with the answer
# Shows each piece in the right place, but keeps one running text for both.
async def think_then_answer(llm, question, show_reasoning, show_text):
    text = ""
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                show_reasoning(block["reasoning"])
                text += block["reasoning"]
            elif block["type"] == "text" and block["text"]:
                show_text(block["text"])
                text += block["text"]
    return text


# %% mistake: reasoning-apart | show_text received the reasoning too
# Sends every block's words to the answer, the reasoning's included.
async def think_then_answer(llm, question, show_reasoning, show_text):
    answer = ""
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                show_reasoning(block["reasoning"])
        words = "".join(block.get("reasoning", "") or block.get("text", "") for block in chunk.content_blocks)
        if words:
            show_text(words)
            answer += chunk.text
    return answer


# %% mistake: reasoning-apart | .content is a list
# Hands over .content, a string on Chat Completions but a list of OpenAI's blocks on the Responses API.
async def think_then_answer(llm, question, show_reasoning, show_text):
    message = None
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                show_reasoning(block["reasoning"])
        if chunk.content:
            show_text(chunk.content)
        message = chunk if message is None else message + chunk
    return message.content


# %% mistake: reasoning-apart | block.get('reasoning', '')
# Reads block["reasoning"]: the block that opens a reasoning item has no text yet.
async def think_then_answer(llm, question, show_reasoning, show_text):
    answer = ""
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning":
                show_reasoning(block["reasoning"])
            elif block["type"] == "text":
                show_text(block["text"])
                answer += block["text"]
    return answer


# %% mistake: reasoning-apart | after the next chunk had arrived
# Holds each reasoning piece back until the next chunk, to know whether the reasoning goes on.
async def think_then_answer(llm, question, show_reasoning, show_text):
    answer, held = "", ""
    async for chunk in llm.astream(question):
        if held:
            show_reasoning(held)
            held = ""
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                held = block["reasoning"]
            elif block["type"] == "text" and block["text"]:
                show_text(block["text"])
                answer += block["text"]
    return answer


# %% mistake: reasoning-apart | waited for the whole answer
# Asks for the whole message: the reasoning arrives when there is nothing left to wait for.
async def think_then_answer(llm, question, show_reasoning, show_text):
    message = await llm.ainvoke(question)
    for block in message.content_blocks:
        if block["type"] == "reasoning":
            show_reasoning(block.get("reasoning", ""))
    show_text(message.text)
    return message.text


# %% mistake: reasoning-apart | never reached show_reasoning
# Shows each reasoning piece when the next one comes, to tidy its spaces first: the last one never goes out.
async def think_then_answer(llm, question, show_reasoning, show_text):
    answer, previous = "", None
    async for chunk in llm.astream(question):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning" and block.get("reasoning"):
                if previous is not None:
                    show_reasoning(previous)
                previous = block["reasoning"]
            elif block["type"] == "text" and block["text"]:
                show_text(block["text"])
                answer += block["text"]
    return answer
