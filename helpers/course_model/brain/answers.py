"""The course model's canned text answers: greetings, course questions and an honest fallback.

The course model is not a language model. It knows arithmetic (see
`arithmetic.py`) and the handful of questions the chapters ask; for anything
else it says so plainly and explains how to switch to a real model, rather than
pretending. Topics are matched by keywords so "What is NLP?" and "what's
natural language processing" get the same answer.

No canned answer contains a digit: a follow-up question ("times 3") takes the
last number of the previous answer, and an example like "10 + 10" in a greeting
must not pass for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .long_answer import LONG_ANSWER

NO_QUESTION = 'There is no question for me to answer yet: send a user message, for example "What is ten plus ten?"'

NO_PREVIOUS_ANSWER = (
    "Your question refers to a previous answer, but I can't find one in this conversation. "
    'Please ask the whole question, for example "What is twenty times three?"'
)

GREETING = (
    "Hello! I'm the course model, a small offline stand-in for a real LLM that streams its answers "
    'token by token. Try an arithmetic question such as "What is ten plus ten?", or ask me "What is NLP?"'
)

FALLBACK = (
    "I'm the offline course model, not a real language model: I do arithmetic (try \"What is ten plus ten?\"), "
    "call the tools you give me, and answer a few course questions, such as \"What is NLP?\" or \"What is "
    "streaming?\" To use a real model, set OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for any "
    "OpenAI-compatible server such as Ollama, vLLM or LM Studio) where the course runs, then start it again: "
    "the notebook's kernel, or the web app."
)


@dataclass(frozen=True)
class Topic:
    """A course question: a pattern that recognises it, and the answer."""

    name: str
    pattern: re.Pattern[str]
    answer: str


def _topic(name: str, pattern: str, answer: str) -> Topic:
    return Topic(name, re.compile(pattern), answer)


# Checked in order, so the more specific subjects come first:
# "What is an LLM agent?" is about agents, "How do callbacks stream tokens?" about callbacks.
TOPICS: tuple[Topic, ...] = (
    _topic(
        "who are you",
        r"\bwho are you\b|\bwhat are you\b|\byour name\b|\babout yourself\b",
        "I'm the course model: a small, offline and deterministic stand-in for a real chat model. "
        "I speak the same OpenAI Chat Completions protocol, so LangChain's ChatOpenAI streams my answers "
        "exactly as it would stream GPT's. I can do arithmetic with tools and answer a few course questions. "
        "Set OPENAI_API_KEY or OPENAI_BASE_URL to swap me for a real model.",
    ),
    _topic(
        "joke",
        r"\bjokes?\b|\bfunny\b|make me laugh",
        "Why did the language model start streaming? Because its users got tired of waiting for the whole "
        "punchline. Now they read it one token at a time, and they still laugh before it's finished.",
    ),
    _topic(
        "tool call",
        r"\btool[\s_-]*call|\bfunction[\s_-]*call|\btools?\b",
        "A tool call is a model's request to run a function instead of answering in text. The model "
        "returns the tool's name and JSON arguments, your code runs the function, and the result goes "
        "back to the model as a tool message. When streaming, the arguments arrive in fragments that "
        "LangChain stitches together into tool_call_chunks. That loop of calls and results is what turns "
        "a chat model into an agent.",
    ),
    _topic(
        "callback",
        r"\bcallbacks?\b|\bcallback handler",
        "A callback is a hook LangChain calls while a run is in progress, such as on_llm_new_token for "
        "every streamed token or on_tool_start before a tool runs. You write a handler class with the "
        "methods you care about and pass it in the run's config. Callbacks were the original way to stream "
        "in LangChain, and they are still handy for logging, tracing and pushing tokens into a queue.",
    ),
    _topic(
        "asyncio",
        r"\basyncio\b|\basync\b|\bawait\b|\bevent loop\b|\bcoroutines?\b",
        "asyncio is Python's library for concurrent code with async and await. A single event loop "
        "switches between coroutines whenever one waits, for example for the next network chunk. "
        "That is why streaming works so well with it: while one answer waits for its next token, "
        "the loop can serve other users or update the interface. LangChain exposes astream and "
        "astream_events for exactly this.",
    ),
    _topic(
        "agent",
        r"\bagents?\b|\bagentic\b",
        "An agent is a model in a loop: it reads the conversation, decides whether to call a tool, "
        "sees the tool's result and decides again, until it can give a final answer. The model chooses "
        "the steps; your code only runs the tools and keeps the scratchpad of calls and results. "
        "Streaming an agent means streaming both its tokens and its intermediate steps, so users see "
        "progress instead of a long silence.",
    ),
    _topic(
        "token",
        r"\btokens?\b|\btokeni[sz]",
        "A token is the unit a language model reads and writes: a short piece of text, often a word, "
        "part of a word or a punctuation mark. Models generate one token at a time, which is exactly "
        "what makes streaming possible. Providers also count tokens to bill usage and to limit the "
        "length of prompts and answers.",
    ),
    _topic(
        "streaming",
        r"\bstream(?:s|ed|ing)?\b|\bserver[\s-]sent events\b|\bsse\b",
        "Streaming means sending a model's answer piece by piece while it is generated, instead of "
        "waiting for the whole text. The OpenAI API does it with server-sent events, one small chunk per "
        "token, and LangChain turns those chunks into AIMessageChunk objects you can iterate over with "
        "stream or astream. The answer takes just as long to finish, but the first words appear almost "
        "at once, which makes an application feel far faster.",
    ),
    _topic(
        "langchain",
        r"\blang\s*chain\b",
        "LangChain is an open-source framework for building applications on top of language models. "
        "It gives every model the same interface, so invoke, stream and batch work alike whether you "
        "talk to OpenAI, a local server or this course model. It also provides prompts, tools, agents "
        "and callbacks that you can compose into pipelines. In this course we use it to stream tokens, "
        "tool calls and agent steps.",
    ),
    _topic(
        "llm",
        r"\bllms?\b|\blarge language models?\b|\blanguage models?\b",
        "An LLM, or large language model, is a neural network trained on huge amounts of text to predict "
        "the next token. Repeating that prediction one token after another produces whole answers, "
        "code or summaries. Because the output is generated token by token, it can be streamed to the "
        "user while the model is still writing.",
    ),
    _topic(
        "nlp",
        r"\bnlp\b|\bnatural language processing\b",
        "Natural language processing, or NLP, is the field of computer science that teaches computers to "
        "understand and produce human language. It covers tasks such as translation, summarisation, "
        "sentiment analysis and question answering. Modern NLP is dominated by large language models, "
        "which learn language patterns from vast amounts of text. Chat models like the ones in this course "
        "are NLP systems you can talk to.",
    ),
)

_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|greetings|yo|good (?:morning|afternoon|evening|day))(?:\s+there)?\b"
)
# "long … story": two searches, not one `long.*story` pattern, whose backtracking is quadratic
# in a question full of "long"s (a 60 KB question took 17 s).
_LONG_WORD = re.compile(r"\b(?:long|longer|lengthy|detailed)\b")
_LONG_THING = re.compile(r"\b(?:story|essay|answer|text|article|explanation|response|reply)\b")
_GREETING_WORDS = 6  # "Hello, how are you today?" is a greeting; a longer message is a question


def answer_for(question: str) -> str:
    """The text answer to a question that is not arithmetic."""
    text = " ".join(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", question.lower().replace("’", "'")))
    long_word = _LONG_WORD.search(text)
    if long_word and _LONG_THING.search(text, long_word.end()):
        return LONG_ANSWER
    for topic in TOPICS:
        if topic.pattern.search(text):
            return topic.answer
    if _GREETING.search(text) and len(text.split()) <= _GREETING_WORDS:
        return GREETING
    return FALLBACK
