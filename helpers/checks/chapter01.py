"""The checks of chapter 01's exercises (`chapters/01-streaming-tokens.ipynb`).

Both exercises are about *when* the learner's code uses each chunk, so both checks
drive it with a `ScriptedChatModel` (see `helpers.checks.streams`): an answer the
learner has never seen, split at random points, streamed after pauses the check
chooses.

- `check_timed_tokens`: the script waits a noticeable time before its first chunk,
  as a real model does before its first token, then a little before each of the
  others. A time taken for chunk `i` must lie between its handout and the handout
  of chunk `i + 1`: that is causality, not a tolerance (2 ms are allowed only for
  a clock other than perf_counter), so a slow machine cannot make a right answer
  fail, and times taken after the stream ended (collect first, time later) or a
  clock started at the first chunk (time to first token 0) cannot pass.
- `check_cut_short`: four answers, long and short, finished and cut at the token
  limit, so only the finish reason tells them apart (not the length, not a missing
  full stop); the finish reason comes before the usage and closing chunks, as on
  OpenAI with `stream_usage=True`. A probe counts what the code has printed, so
  printing after the stream is "not streaming".

- `check_reasoning_apart`: a model that reasons, streamed through the Responses API
  by a real `ChatOpenAI(use_responses_api=True)` whose server is scripted
  (`helpers.checks.scripted_openai`): a reasoning summary and an answer the learner
  has never seen, split at random. Each piece must reach the right callback before
  the code asks for the next event (a probe counts what each callback has received),
  so collecting first, showing a piece one chunk late, or sending reasoning to the
  answer are each named; so are the traps of the Responses API: `.content` is a list
  there, `additional_kwargs` holds no reasoning, and the block that opens a reasoning
  item has no text.

All name the synchronous `llm.stream` used inside the async function: the times
come out right, but the event loop is blocked while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from langchain_core.outputs import ChatGenerationChunk
from pydantic import PrivateAttr

from helpers.checks.scripted_openai import Reply, ScriptedOpenAI
from helpers.checks.scripted_responses import response_events
from helpers.checks.streams import ScriptedChatModel, split_at_random, text_chunks
from helpers.exercises import NotYet, check

TIMEOUT = 30.0  # seconds: a learner's loop that never ends still gets a message
FIRST_WAIT = 0.25  # seconds before the first chunk: the time to first token the learner must measure
LATER_WAIT = 0.01  # seconds before each later chunk
CLOCKS = 0.002  # seconds: time.time() or time.monotonic() instead of perf_counter may differ by microseconds

# Answers the chapter never shows, so a hard-coded result cannot match them.
ANSWERS = [
    ("What is a context window?", "A context window is the amount of text a model can read at once, counted in "
     "tokens. The question, the chat history and the answer so far all have to fit in it. When a conversation "
     "outgrows it, the oldest messages must be dropped or summarised."),
    ("Why do models hallucinate?", "A language model predicts likely text, not true text. When its training data "
     "says little about a question, the most likely continuation can still sound confident. Giving it sources "
     "to quote, and asking it to say when it does not know, makes this rarer."),
    ("What is temperature?", "Temperature controls how adventurous a model's choice of the next token is. At 0 it "
     "almost always takes the most likely token, so answers repeat; higher values spread the choice over less "
     "likely tokens, so answers vary and sometimes wander."),
    ("What is an embedding?", "An embedding is a list of numbers that stands for a piece of text. Texts with "
     "similar meanings get lists that lie close together, which is how a search can find a paragraph about "
     "\"cars\" when you asked about \"vehicles\"."),
    ("What does a tokenizer do?", "A tokenizer cuts text into the pieces a model works with, and numbers them. "
     "Common words become one token; rare words, names and numbers are cut into several, which is why a model "
     "can stumble when asked to count the letters of a word."),
    ("What is a system prompt?", "A system prompt is the first message of a conversation, written by the "
     "developer rather than the user. It sets the rules: the tone, what the assistant may do, which tools it "
     "has. The model reads it again before every answer."),
]
SHORT_ANSWERS = [("Is Python case-sensitive?", "Yes, it is."), ("What is 6 times 7?", "It is 42."),
                 ("Which planet is largest?", "Jupiter."), ("Is the sky green?", "No, it is blue."),
                 ("What colour is chlorophyll?", "Green, mostly.")]


class _Scripted(ScriptedChatModel):
    """A `ScriptedChatModel` that also counts the streams read with the synchronous `stream`."""

    _sync_streams: int = PrivateAttr(default=0)

    @property
    def sync_streams(self) -> int:
        return self._sync_streams

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self._sync_streams += 1
        yield from super()._stream(*args, **kwargs)


SYNC = ("{name} used the synchronous llm.stream inside an async function: while it waits for each chunk the "
        "event loop is blocked, and nothing else in the notebook or server can run. Use `async for chunk in "
        "llm.astream(question)`.")


async def _run(call: Awaitable[Any], printed: io.StringIO) -> Any:
    """Await the learner's coroutine with a time limit, keeping what it prints out of the check's output.

    The errors a learner meets first in these exercises are explained (`NotYet`);
    any other exception goes to `check`, which names it.
    """
    try:
        with contextlib.redirect_stdout(printed):
            return await asyncio.wait_for(call, timeout=TIMEOUT)
    except TypeError as error:
        if "is not iterable" in str(error) and "async" in str(error):
            raise NotYet("llm.astream(question) is an async generator: read it with `async for chunk in "
                         "llm.astream(question)`, not a plain `for`.") from error
        if "async for" in str(error):
            raise NotYet("`async for` needs an async stream: llm.astream(question) (llm.stream is the "
                         "synchronous one).") from error
        raise
    except KeyError as error:
        if error.args == ("reasoning",):
            raise NotYet("KeyError 'reasoning': the block that opens a reasoning item carries only its id, no text "
                         "yet. Read the text with block.get('reasoning', ''), and skip the empty pieces.") from error
        if error.args == ("finish_reason",):
            raise NotYet("KeyError 'finish_reason': only one chunk carries the finish reason in its "
                         "response_metadata, the others have no such key. Read it with "
                         "response_metadata.get('finish_reason'), or from the chunks merged with `+`.") from error
        raise


async def check_timed_tokens(timed_tokens: Callable[..., Awaitable[Any]]) -> None:
    """Exercise 1: one (seconds, text) pair per chunk with text, each timed as its chunk arrived."""
    with check("Exercise 1 · time the tokens") as exercise:
        question, answer = random.choice(ANSWERS)
        answer = answer.split(". ")[0].rstrip(".") + "."  # one sentence: about 20 chunks, under a second in all
        pieces = split_at_random(answer, random.Random())
        script = text_chunks(pieces)
        llm = _Scripted(script=script, pauses=[FIRST_WAIT] + [LATER_WAIT] * (len(script) - 1))
        called = time.perf_counter()
        pairs = await _run(timed_tokens(llm, question), io.StringIO())
        returned = time.perf_counter()

        exercise.expect(llm.streams or not llm.waited, "timed_tokens waited for the whole answer (ainvoke): a "
                        "time per chunk needs the stream, `async for chunk in llm.astream(question)`.")
        exercise.expect(llm.streams, "timed_tokens returned without reading the stream: the code must read the "
                        "stream, `async for chunk in llm.astream(question)`, and append a (seconds, text) pair for "
                        "each chunk with text.")
        exercise.expect(not llm.sync_streams, SYNC.format(name="timed_tokens"))
        handouts = llm.streams[0]
        exercise.expect(isinstance(pairs, list), f"timed_tokens should return a list of (seconds, text) pairs, "
                        f"not {type(pairs).__name__}: did you forget `return pairs`?")
        exercise.expect(pairs, "timed_tokens returned no pairs: append (time.perf_counter() - started, "
                        "chunk.content) for each chunk with text.")
        exercise.expect(all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in pairs),
                        f"each item should be a (seconds, text) pair; the first is {pairs[0]!r}.")
        texts = [text for _, text in pairs]
        exercise.expect(all(isinstance(text, str) for text in texts), "the second item of each pair should be "
                        "the chunk's text, chunk.content.")
        exercise.expect(all(texts), "some pairs have no text: skip the chunks with no text (the opening chunk and "
                        "the closing ones), `if chunk.content:`.")
        exercise.expect("".join(texts) == answer, f"the texts don't spell the answer the check's model streamed "
                        f"({answer[:40]!r}...): the code must read the stream, and keep each chunk's text in order.")
        exercise.expect(texts == pieces, f"the check's model streamed {len(pieces)} chunks with text and you "
                        f"returned {len(texts)} pairs: one pair per chunk, as it arrives.")

        seconds = [value for value, _ in pairs]
        exercise.expect(all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in seconds),
                        f"the first item of each pair should be seconds, a number, not {seconds[0]!r}.")
        ran_for = returned - called
        exercise.expect(all(0 <= value <= ran_for + CLOCKS for value in seconds),
                        f"timed_tokens ran for {ran_for:.2f} s, but a pair says {max(seconds, key=abs):.2f}: count "
                        "seconds since just before the stream started, `time.perf_counter() - started`, with "
                        "`started = time.perf_counter()` taken before the loop.")

        # Chunk `index` of the script was handed out at handouts[index].at; the learner's clock started between
        # `called` and the first request for a chunk (handouts.started), and read the time for that chunk after
        # it was handed out and before the code asked for the next one (handed out at handouts[index + 1].at).
        text_indices = [index for index, chunk in enumerate(script) if chunk.content]
        first = handouts[text_indices[0]].at - handouts.started  # the least the first pair can say
        exercise.expect(seconds[0] >= first - CLOCKS,
                        f"your first pair says {seconds[0]:.3f} s, but the first text arrived {first:.2f} s after "
                        "the request: start the clock just before you call llm.astream(question), not at the first "
                        "chunk. That wait is the time to first token, the number users feel.")
        for number, (value, index) in enumerate(zip(seconds, text_indices)):
            earliest, latest = handouts[index].at - handouts.started, handouts[index + 1].at - called
            exercise.expect(value >= earliest - CLOCKS, f"pair {number} says {value:.3f} s, earlier than its chunk "
                            f"arrived ({earliest:.3f} s): count every pair's seconds from the same start, just "
                            "before the stream (time.perf_counter() - started), not from the previous chunk.")
            if value > latest + CLOCKS:
                after_end = called + value >= handouts.ended - CLOCKS
                exercise.expect(False, f"not streaming: pair {number} ({pieces[number]!r}) was timed "
                                + ("after the stream had ended" if after_end else "after the next chunk had arrived")
                                + ". Take the time inside the `async for` loop, as each chunk arrives, not after "
                                "collecting the chunks.")


async def _marks_when_last(answer_of: Callable[..., Awaitable[Any]], question: str, text: str,
                           rng: random.Random) -> bool:
    """Does `answer_of` mark `text` as cut when the finish reason comes in the very last chunk?

    A diagnosis, not a test: code that reads only the last chunk passes here and
    fails on OpenAI's order, so the check can name that mistake.
    """
    script = text_chunks(split_at_random(text, rng), finish_reason="length", usage=False)
    closing = script.pop()  # LangChain's closing chunk: merged into the one with the finish reason
    script[-1] = script[-1].model_copy(update={"chunk_position": closing.chunk_position})
    try:
        return await _run(answer_of(ScriptedChatModel(script=script), question), io.StringIO()) == (
            text + " [cut short]")
    except Exception:  # the real run's message is the one to give
        return False


async def check_cut_short(answer_of: Callable[..., Awaitable[Any]]) -> None:
    """Exercise 2: print while streaming; mark the answers the token limit cut, and only those."""
    with check("Exercise 2 · was it cut short?") as exercise:
        rng = random.Random()
        long_question, long_answer = rng.choice(ANSWERS)
        cut_question, cut_answer = rng.choice([case for case in ANSWERS if case[1] != long_answer])
        short_question, short_answer = rng.choice(SHORT_ANSWERS)
        sentences = cut_answer.split(". ")
        words = sentences[0].split(" ")
        cases = [  # (question, text, finish reason, how it looks): a fixed order, so the starter's message is fixed
            (long_question, long_answer, "stop", "long"),
            (cut_question, " ".join(words[:rng.randint(3, 5)]), "length", "short and ends mid-sentence"),
            (cut_question, ". ".join(sentences[:2]).rstrip(".") + ".", "length", "long and ends with a full stop"),
            (short_question, short_answer, "stop", "short"),
        ]
        for question, text, finish_reason, looks in cases:
            printed = io.StringIO()
            llm = _Scripted(script=text_chunks(split_at_random(text, rng), finish_reason=finish_reason),
                            probe=lambda printed=printed: len(printed.getvalue()))
            returned = await _run(answer_of(llm, question), printed)

            exercise.expect(len(llm.streams) + llm.waited <= 1, "answer_of asked the model twice (a stream and "
                            "ainvoke, or two streams): one stream carries both the text and the finish reason. "
                            "Merge its chunks with `+` as they come, and read the finish reason from the result.")
            exercise.expect(llm.streams, "answer_of didn't stream: read the answer with `async for chunk in "
                            "llm.astream(question)`.")
            exercise.expect(not llm.sync_streams, SYNC.format(name="answer_of"))
            handouts = llm.streams[0]
            exercise.expect(handouts.finished(), "answer_of stopped reading before the stream ended: the finish "
                            "reason comes after the text, so read every chunk.")
            shown, so_far = printed.getvalue(), 0
            for handout, chunk in zip(handouts[1:], llm.script):  # handout i + 1 saw what was printed for 0 .. i
                so_far += len(chunk.content)
                exercise.expect(handout.seen >= so_far, "not streaming: answer_of printed the text only after the "
                                "stream had ended. Print each chunk's text as it arrives, inside the `async for` "
                                "loop: print(chunk.content, end='', flush=True).")
            exercise.expect(text in shown, "answer_of should print the tokens as they stream "
                            "(print(chunk.content, end='', flush=True)), then a new line.")
            exercise.expect(isinstance(returned, str), f"answer_of should return the answer's text, a str, not "
                            f"{type(returned).__name__}: did you forget the `return`?")
            exercise.expect(returned.startswith(text), "answer_of should return the streamed text (plus ' [cut "
                            "short]' when the model hit its token limit).")
            marker = returned[len(text):]
            exercise.expect(marker in ("", " [cut short]") or marker.strip() != "[cut short]", f"you added "
                            f"{marker!r}: add exactly ' [cut short]', a space and then the words in brackets.")
            if finish_reason == "length":
                if returned != text + " [cut short]" and await _marks_when_last(answer_of, question, text, rng):
                    exercise.expect(False, "you read the finish reason from the very last chunk, but it is not "
                                    "the last chunk: on OpenAI with stream_usage=True the usage and a closing chunk "
                                    "follow it. Merge the chunks with `+` as they come (or keep the finish reason "
                                    "when a chunk carries one), then read response_metadata['finish_reason'].")
                exercise.expect(returned == text + " [cut short]", f"this answer is {looks}, and the model stopped "
                                "it at its token limit (finish reason 'length'), but your text doesn't end with "
                                "' [cut short]'. Only the finish reason tells: not the text's length, not whether "
                                "it ends mid-sentence. It arrives in a chunk with no text, and it is not the last "
                                "chunk (the usage and a closing chunk follow): merge the chunks with `+` as they "
                                "come, then read response_metadata['finish_reason'].")
            else:
                exercise.expect(returned == text, f"this answer is {looks}, and it finished normally (finish reason "
                                f"'stop'), but you returned {returned[len(text):]!r} after it. Only the finish "
                                "reason tells: not the text's length, not whether it ends mid-sentence.")


# Reasoning summaries and answers the chapter never shows: (question, reasoning, answer).
THOUGHTS = [
    ("Which is heavier, a kilo of feathers or a kilo of iron?",
     "The question compares two masses that are both stated as one kilogram. The materials differ in density, "
     "not in mass, so the trick is in the wording.", "Neither: both weigh one kilogram."),
    ("How many minutes are in a day?", "A day has 24 hours and each hour has 60 minutes, so I multiply 24 by 60, "
     "which gives 1440.", "There are 1,440 minutes in a day."),
    ("Is 91 a prime number?", "91 looks prime because it is odd and does not end in 5. Checking small divisors: "
     "7 times 13 is 91, so it has factors other than 1 and itself.", "No: 91 is 7 × 13."),
    ("What comes next: 2, 6, 12, 20?", "The gaps are 4, 6 and 8, growing by two each time, so the next gap is 10 "
     "and the next number is 30. These are n times n plus one.", "30, since each term is n × (n + 1)."),
    ("Can a week have two Mondays?", "A week as a calendar unit has seven consecutive days, each weekday once. "
     "Any seven days in a row contain exactly one Monday.", "No: seven days in a row hold exactly one Monday."),
]
REASONING_OPTIONS = {"effort": "low", "summary": "auto"}


def _reasoning_reply(reasoning: list[str], answer: list[str]) -> Callable[[dict], Reply]:
    return lambda body: Reply(reasoning=reasoning, text=answer)


async def check_reasoning_apart(think_then_answer: Callable[..., Awaitable[Any]]) -> None:
    """Exercise 3: reasoning to `show_reasoning`, the answer to `show_text`, each piece as it arrives."""
    with check("Exercise 3 · reasoning apart") as exercise:
        rng = random.Random()
        question, thought, answer = rng.choice(THOUGHTS)
        reasoning_pieces, answer_pieces = split_at_random(thought, rng), split_at_random(answer, rng)
        shown: dict[str, list[Any]] = {"reasoning": [], "text": []}

        def received() -> tuple[int, int]:  # characters each callback had received: the probe
            return tuple(sum(len(piece) for piece in shown[kind] if isinstance(piece, str))  # type: ignore[return-value]
                         for kind in ("reasoning", "text"))

        server = ScriptedOpenAI(_reasoning_reply(reasoning_pieces, answer_pieces), probe=received)
        llm = server.chat_model(use_responses_api=True, reasoning=REASONING_OPTIONS)
        try:
            returned = await _run(think_then_answer(llm, question, shown["reasoning"].append, shown["text"].append),
                                  io.StringIO())
        finally:
            await server.aclose()

        name = "think_then_answer"
        exercise.expect(not server.sync_calls, SYNC.format(name=name))
        exercise.expect(server.streams or not server.waited, f"{name} waited for the whole answer (ainvoke): the "
                        "reasoning is worth showing while the model thinks. Stream it, `async for chunk in "
                        "llm.astream(question)`.")
        exercise.expect(server.streams, f"{name} never streamed the model: `async for chunk in "
                        "llm.astream(question)`, then hand each piece to show_reasoning or show_text.")
        exercise.expect(len(server.streams) + server.waited == 1, f"{name} asked the model more than once: one "
                        "stream carries both the reasoning and the answer.")
        for kind in ("reasoning", "text"):
            wrong = [piece for piece in shown[kind] if not isinstance(piece, str)]
            exercise.expect(not wrong, f"show_{kind} received a {type(wrong[0]).__name__ if wrong else ''}, not a "
                            "str: on the Responses API a chunk's .content is a list of OpenAI's own blocks. Read "
                            "the standard ones, chunk.content_blocks: block['text'] for a 'text' block (or "
                            "chunk.text), block.get('reasoning', '') for a 'reasoning' block.")
        got_reasoning, got_text = "".join(shown["reasoning"]), "".join(shown["text"])
        exercise.expect(got_reasoning, "no reasoning reached show_reasoning. It is in the chunks' content_blocks, "
                        "blocks with block['type'] == 'reasoning' and the text under 'reasoning'; on the Responses "
                        "API additional_kwargs holds none, and .text is the answer only.")
        exercise.expect(thought[:20] not in got_text, "show_text received the reasoning too: send only the 'text' "
                        "blocks (or chunk.text) to show_text, and the 'reasoning' blocks to show_reasoning.")
        exercise.expect(answer[:10] not in got_reasoning, "show_reasoning received the answer too: send it only the "
                        "'reasoning' blocks.")
        if got_reasoning != thought and thought.startswith(got_reasoning):
            exercise.expect(False, f"the last {len(thought) - len(got_reasoning)} characters of the reasoning never "
                            f"reached show_reasoning ({thought[len(got_reasoning):]!r}): hand over every piece, the "
                            "last one too.")
        exercise.expect(got_reasoning == thought, "show_reasoning received pieces that don't spell the reasoning the "
                        "model streamed: hand over each reasoning block's text as it comes, in order.")
        exercise.expect(got_text == answer, f"show_text received pieces that don't spell the answer the model "
                        f"streamed ({answer[:30]!r}...): hand over each piece of text as it comes, in order.")
        exercise.expect(isinstance(returned, str), f"{name} should return the answer's text, a str, not "
                        f"{type(returned).__name__}" + (": on the Responses API .content is a list of blocks; "
                        "return the merged message's .text." if isinstance(returned, list) else "."))
        exercise.expect(returned.strip() != (thought + answer).strip() and thought[:20] not in returned,
                        f"{name} returned the reasoning with the answer: return the answer's text alone.")
        exercise.expect(returned == answer, f"{name} should return the answer's text ({answer[:30]!r}...), not "
                        f"{returned[:40]!r}.")

        # Live: what the code had handed over when it asked for event i + 1 includes every piece up to event i.
        handouts, carried = server.streams[0], server.carried[0]
        kinds = [event["type"] for event, _ in response_events(Reply(reasoning=reasoning_pieces, text=answer_pieces))]
        due = [0, 0]
        for index, (kind, fragment) in enumerate(zip(kinds, carried)):
            if kind.endswith("reasoning_summary_text.delta"):
                due[0] += len(fragment)
            elif kind.endswith("output_text.delta"):
                due[1] += len(fragment)
            else:
                continue
            seen = handouts[index + 1].seen if index + 1 < len(handouts) else handouts.seen_at_end
            what = "reasoning" if kind.endswith("reasoning_summary_text.delta") else "answer"
            if seen[0] < due[0] or seen[1] < due[1]:
                after_end = all(handout.seen == (0, 0) for handout in handouts)
                exercise.expect(False, f"not live: a piece of the {what} ({fragment!r}) reached its callback "
                                + ("only after the stream had ended" if after_end else "only after the next chunk "
                                   "had arrived") + ". Hand each piece over inside the `async for` loop, as its "
                                "chunk arrives: the reader watches the model think.")
