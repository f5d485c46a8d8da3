"""An optional planner: a language model behind any OpenAI-compatible endpoint writes the plan.

:func:`llm_plan` sends a free-worded question to a chat-completions endpoint (a local server
such as vLLM, llama.cpp or Ollama, or a hosted one) together with a system prompt holding the
plan's JSON Schema, what each op means (from the op table, :data:`~geoquant.reason.plans._ops.OPS`),
the class vocabulary, the rules and worked examples (one per family of the phrasing corpus,
:mod:`geoquant.reason.llm._corpus`). The plan is asked for by the endpoint's JSON Schema option
(``response_format`` ``json_schema``), or by plain JSON mode where the server refuses it. The
reply is only ever parsed as JSON and checked by :func:`~geoquant.reason.validate`, exactly like
a plan written by hand: nothing in it is executed, and a reply that is not a valid plan is a
:class:`~geoquant.errors.PlanError`.

Where the endpoint is comes from :meth:`LLMConfig.load`: arguments, then the environment
variables ``GEOQUANT_LLM_URL``, ``GEOQUANT_LLM_MODEL`` and ``GEOQUANT_LLM_API_KEY``, then the
``[llm]`` table of geoquant's TOML configuration file.

Only the standard library is used (``urllib.request``, imported on first call).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geoquant.errors import (
    ClassNameError,
    GeoquantError,
    InvalidOptionError,
    PlanError,
    QuestionError,
    quote,
)
from geoquant.reason.plans._ops import AREA_UNITS, LENGTH_UNITS, OPS
from geoquant.reason.plans._plan import MAX_STEPS, PLAN_SCHEMA, PLAN_VERSION, Plan, validate
from geoquant.segment import Vocabulary

#: Environment variable of each setting.
ENV_VARS = {"url": "GEOQUANT_LLM_URL", "model": "GEOQUANT_LLM_MODEL",
            "api_key": "GEOQUANT_LLM_API_KEY"}
#: Environment variable naming the configuration file.
CONFIG_ENV_VAR = "GEOQUANT_CONFIG"
_FILE_KEYS = ("url", "model", "api_key", "timeout_s")
_MAX_REPLY_BYTES = 8 * 1024 * 1024
#: The longest wait for the endpoint, seconds (a day): beyond it a run is simply stuck.
MAX_TIMEOUT_S = 86400.0
_CHAT_PATH = "/chat/completions"


def default_config_path() -> Path:
    """The configuration file read when none is named.

    ``$GEOQUANT_CONFIG`` if set, else ``$XDG_CONFIG_HOME/geoquant/config.toml``, else
    ``~/.config/geoquant/config.toml``.
    """
    named = os.environ.get(CONFIG_ENV_VAR)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "geoquant" / "config.toml"


@dataclass(frozen=True)
class LLMConfig:
    """Where the planner's language model answers.

    Attributes
    ----------
    url : str
        Base URL of the OpenAI-compatible API, e.g. ``"http://127.0.0.1:8000/v1"``; requests
        go to ``url + "/chat/completions"`` (a URL that already ends in ``/chat/completions``
        is used as it is).
    model : str
        The model name the endpoint serves.
    api_key : str or None
        Sent as ``Authorization: Bearer <api_key>`` when set; never printed, and replaced by
        ``***`` in every message (a server that echoes it included). Surrounding whitespace
        (the newline of a key file read whole) is stripped; an empty key is no key.
    timeout_s : float
        Seconds to wait for the endpoint (connection and the whole answer), finite and at most
        :data:`MAX_TIMEOUT_S`.
    """

    url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        from urllib.parse import urlsplit

        for name in ("url", "model", "api_key"):   # a trailing newline is no part of a value
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, value.strip() or None)
        if not isinstance(self.url, str):
            raise InvalidOptionError("the planner endpoint URL is empty: give its base URL, "
                                     "e.g. 'http://127.0.0.1:8000/v1'")
        if self.api_key is not None and (not isinstance(self.api_key, str) or any(
                ord(c) < 32 or ord(c) == 127 for c in self.api_key)):
            raise InvalidOptionError("the planner API key holds a line break or another "
                                     "control character: give the key alone, on one line "
                                     "(GEOQUANT_LLM_API_KEY or api_key under [llm])")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidOptionError(
                f"the planner endpoint URL {_public_url(self.url)!r} is not an http(s) URL: "
                "give its base URL, e.g. 'http://127.0.0.1:8000/v1'")
        if not self.model:
            raise InvalidOptionError("the planner model name is empty: give the name the "
                                     "endpoint serves, e.g. 'qwen2.5-7b-instruct'")
        if isinstance(self.timeout_s, bool) or not isinstance(self.timeout_s, (int, float)) \
                or not math.isfinite(self.timeout_s) or not 0 < self.timeout_s <= MAX_TIMEOUT_S:
            raise InvalidOptionError(f"timeout_s must be a finite number of seconds above 0 "
                                     f"and at most {MAX_TIMEOUT_S:g} (a day), got "
                                     f"{self.timeout_s!r}")

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        key = "None" if self.api_key is None else "'***'"
        return (f"LLMConfig(url={_public_url(self.url)!r}, model={self.model!r}, api_key={key}, "
                f"timeout_s={self.timeout_s!r})")

    @property
    def endpoint(self) -> str:
        """The chat-completions URL requests are sent to."""
        base = self.url.rstrip("/")
        return base if base.endswith(_CHAT_PATH) else base + _CHAT_PATH

    @classmethod
    def load(cls, *, url: str | None = None, model: str | None = None,
             api_key: str | None = None, config_path: str | os.PathLike[str] | None = None,
             ) -> LLMConfig:
        """Gather the settings: arguments first, then environment variables, then the file.

        Parameters
        ----------
        url, model, api_key : str, optional
            Explicit settings; they win over everything else.
        config_path : path, optional
            TOML file whose ``[llm]`` table holds ``url``, ``model``, ``api_key`` (and
            optionally ``timeout_s``). Default :func:`default_config_path`; a default file that
            does not exist is simply skipped, a named one must exist.

        Raises
        ------
        InvalidOptionError
            When ``url`` or ``model`` is set nowhere (the message names the three ways to set
            it), or the file cannot be read.
        """
        given = {"url": url, "model": model, "api_key": api_key}
        settings: dict[str, Any] = {}
        for key, value in given.items():
            if value is None or value == "":
                value = os.environ.get(ENV_VARS[key]) or None
            settings[key] = value
        named = config_path is not None or bool(os.environ.get(CONFIG_ENV_VAR))
        path = Path(config_path).expanduser() if config_path is not None \
            else default_config_path()
        from_file = _read_llm_table(path, must_exist=named)
        for key, value in from_file.items():
            if settings.get(key) is None:
                settings[key] = value
        for key in ("url", "model"):
            if not settings.get(key):
                raise InvalidOptionError(_missing(key, path))
        return cls(**settings)


def configured() -> LLMConfig | None:
    """The endpoint configured by environment or configuration file, or None where neither
    names a URL or a model (then ``planner="auto"`` plans by the rules alone).

    Raises
    ------
    InvalidOptionError
        A setting is half given (a URL without a model) or the configuration file is bad.
    """
    named = bool(os.environ.get(CONFIG_ENV_VAR))
    table = _read_llm_table(default_config_path(), must_exist=named)
    given = [os.environ.get(ENV_VARS[k], "").strip() or str(table.get(k, "")).strip()
             for k in ("url", "model")]
    return LLMConfig.load() if any(given) else None


def _missing(key: str, path: Path) -> str:
    what = {"url": "the planner endpoint URL (e.g. 'http://127.0.0.1:8000/v1')",
            "model": "the planner model name"}[key]
    example = {"url": '"http://127.0.0.1:8000/v1"', "model": '"qwen2.5-7b-instruct"'}[key]
    return (f"no {key} is set for the LLM planner: it is {what}. Give it in one of three ways: "
            f"the {key}= argument, the environment variable "
            f"{ENV_VARS[key]}, or the line {key} = {example} under [llm] in {path}")


def _read_llm_table(path: Path, *, must_exist: bool) -> dict[str, Any]:
    import tomllib

    try:
        text = path.read_bytes()
    except FileNotFoundError:
        if must_exist:
            raise InvalidOptionError(f"the geoquant configuration file {path} does not exist: "
                                     f"create it, or unset {CONFIG_ENV_VAR}") from None
        return {}
    except OSError as err:
        raise InvalidOptionError(f"cannot read the geoquant configuration file {path}: "
                                 f"{err.strerror or err}") from None
    try:
        document = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InvalidOptionError(f"the geoquant configuration file {path} is not valid TOML: "
                                 f"{err}") from None
    table = document.get("llm", {})
    if not isinstance(table, dict):
        raise InvalidOptionError(f"'llm' in {path} must be a table: write [llm] on its own "
                                 "line with url, model and api_key below it")
    unknown = sorted(set(table) - set(_FILE_KEYS))
    if unknown:
        more = f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else ""
        raise InvalidOptionError(f"unknown key(s) {', '.join(map(quote, unknown[:3]))}{more} "
                                 f"under [llm] in {path}; known keys are "
                                 f"{', '.join(_FILE_KEYS)}")
    for key in ("url", "model", "api_key"):
        if key in table and not isinstance(table[key], str):
            raise InvalidOptionError(f"{key} under [llm] in {path} must be a string, got "
                                     f"{quote(table[key])}")
    if "timeout_s" in table and (isinstance(table["timeout_s"], bool)
                                 or not isinstance(table["timeout_s"], (int, float))):
        raise InvalidOptionError(f"timeout_s under [llm] in {path} must be a number of "
                                 f"seconds, got {quote(table['timeout_s'])}")
    return {k: v for k, v in table.items() if v != ""}


# --- the system prompt -------------------------------------------------------------------------

def _and(names: list[str]) -> str:
    """``a, b and c``."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


_RULES = (
    "Reply with one JSON object only: no prose, no comments, no code fences.",
    f'Always "version": {PLAN_VERSION}. Use only the ops and fields of the schema; add no '
    "other fields.",
    "Step ids are short lower-case names (letters, digits, underscore), unique; a step may "
    "only read steps that come before it.",
    f"{_and(sorted(n for n, s in OPS.items() if s.reads == 'value' and s.step_args()))} "
    'read value steps; every other op that reads steps ("of", "to", "within", "through", '
    '"minus") reads mask steps.',
    "Class names must come from the class vocabulary (synonyms are accepted, e.g. trees -> "
    "forest); a numbered class (\"code 12\", \"land-use class 12\") is "
    '{"op": "mask", "code": 12}.',
    'Size filters are in square metres: "min_area_m2"/"max_area_m2" (1 ha = 10000 m2, '
    "1 km2 = 1000000 m2). Distances are in metres: \"distance_m\" (1 km = 1000 m).",
    'The "unit" of an area or distance value is the unit the question asks the answer in '
    f"(areas: {', '.join(AREA_UNITS)}; distances: {', '.join(LENGTH_UNITS)}); leave it out "
    "when the question names none.",
    'Change between two dates: make the class mask twice, with "date": "before" (the earlier '
    'date) and "date": "after" (the later); area lost = area of difference(of=before, '
    "minus=after); gained = area of difference(of=after, minus=before); net change = "
    "difference_of(of=area after, minus=area before); percentage change = "
    "percent_change(of=area after, from=area before); new patches = "
    "objects_far(of=after, to=before, distance_m=0) then count.",
    '"answer" is the id of the value step (never a mask step) that answers the question; '
    "yes/no questions end in compare, connected or is_fragmented.",
    'If the question cannot be answered with these ops, reply {"error": "<why, in one '
    'sentence>"} instead of a plan (the response schema allows exactly this object).',
)

#: A refusal: the one reply other than a plan that the response schema allows.
REFUSAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string", "maxLength": 400}},
    "required": ["error"],
    "additionalProperties": False,
}


def reply_schema() -> dict[str, Any]:
    """The JSON Schema the endpoint is asked to hold its reply to: a plan
    (:data:`~geoquant.reason.PLAN_SCHEMA`) or a refusal ``{"error": "<why>"}``."""
    plan = {k: v for k, v in PLAN_SCHEMA.items() if k not in ("$schema", "$id")}
    return {"$schema": PLAN_SCHEMA["$schema"], "title": "geoquant plan or refusal",
            "anyOf": [plan, REFUSAL_SCHEMA]}


def examples() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Worked examples for the system prompt: the first phrasing of each family of the phrasing
    corpus (:mod:`geoquant.reason.llm._corpus`) with the plan the rules planner makes of it."""
    from geoquant.reason.llm._corpus import example_questions
    from geoquant.reason.reading._planner import plan_question

    found = []
    for phrasing in example_questions():
        document = plan_question(phrasing).to_dict()
        question = document.pop("question")
        document.pop("notes", None)
        found.append((question, document))
    return tuple(found)


def legend_prompt(vocabulary: Any) -> str:
    """The source's own class words, for the prompt ("" when its legend adds none)."""
    words = tuple(getattr(vocabulary, "legend", ()) or ())
    if not words:
        return ""
    shown = ", ".join(json.dumps(_printable(w, 80)) for w in words[:200])
    return ("\n\nThis source's own legend also names these classes; use them exactly as "
            f"written for \"class\": {shown}.")


@cache
def system_prompt() -> str:
    """The system prompt sent with every question (schema, ops, classes, rules, examples);
    :func:`legend_prompt` adds the source's own legend words after it."""
    from geoquant.segment import CLASS_NAMES, MEMBERS

    ops = "\n".join(f"- {op} ({spec.kind}): {spec.meaning}" for op, spec in OPS.items())
    broad = "; ".join(f"{k} includes {', '.join(v)}" for k, v in MEMBERS.items())
    rules = "\n".join(f"{i}. {rule}" for i, rule in enumerate(_RULES, 1))
    shown = "\n\n".join(f"Question: {q}\nPlan: {json.dumps(p)}" for q, p in examples())
    return (
        "You translate questions about a satellite-image region into a geoquant plan. A plan "
        "is a JSON object: a list of steps, each with an \"id\", an \"op\" and its arguments, "
        "and the \"answer\", the id of the step whose value answers the question. Mask steps "
        "select pixels or objects (patches); value steps measure masks or combine values. "
        "geoquant runs the plan exactly; you only write it.\n\n"
        f"JSON Schema every plan must satisfy:\n{json.dumps(PLAN_SCHEMA)}\n\n"
        f"Ops (kind: meaning):\n{ops}\n\n"
        f"Class vocabulary: {', '.join(CLASS_NAMES)} ({broad}).\n\n"
        f"Rules:\n{rules}\n\n"
        f"Examples:\n\n{shown}"
    )


# --- asking the endpoint -----------------------------------------------------------------------

#: The longest question sent to the endpoint, characters.
MAX_QUESTION_CHARS = 4000


def llm_plan(question: str, *, config: LLMConfig | None = None,
             vocabulary: Vocabulary | None = None) -> Plan:
    """Ask a language model behind an OpenAI-compatible endpoint to plan a question.

    Parameters
    ----------
    question : str
        The question in free words, e.g. ``"how much woodland is there, in ha?"``; at most
        :data:`MAX_QUESTION_CHARS` characters.
    config : LLMConfig, optional
        Endpoint, model and key; default :meth:`LLMConfig.load` (environment, config file).
    vocabulary : Vocabulary, optional
        The source's class words: its own legend words are sent with the prompt and accepted
        in the plan.

    Returns
    -------
    Plan
        The validated plan (class names canonical), its ``question`` set to ``question``.

    Raises
    ------
    PlanError
        The endpoint could not be reached (connection refused, timeout, an HTTP error status:
        "could not reach the planner endpoint ..."), or its reply is not a valid plan (not
        JSON, no message, a duplicated key, a schema or reference error: "... invalid plan:
        ...").
    QuestionError
        The question is empty or too long, or the model refused it (``{"error": "<why>"}``).
    InvalidOptionError
        No endpoint URL or model is configured.

    Notes
    -----
    Every message raised here has the API key replaced by ``***`` and the server's own text
    made printable (escape sequences and control characters shown as ``\\x1b``) and shortened.
    """
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: ask something about the region, e.g. "
                            "'what share of the area is forest?'")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; the LLM planner "
                            f"takes at most {MAX_QUESTION_CHARS}: ask it in fewer words")
    if config is None:
        config = LLMConfig.load()
    try:
        return _llm_plan(question, config, vocabulary)
    except GeoquantError as err:
        raise _cleaned(err, config) from None


def _llm_plan(question: str, config: LLMConfig, vocabulary: Vocabulary | None) -> Plan:
    request = {
        "model": config.model,
        "messages": [{"role": "system", "content": system_prompt() + legend_prompt(vocabulary)},
                     {"role": "user", "content": question}],
        "temperature": 0,
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "geoquant_plan", "schema": reply_schema()}},
    }
    try:
        reply = _post_json(config, request)
    except _SchemaRefused:      # servers without structured output: plain JSON mode
        request["response_format"] = {"type": "json_object"}
        reply = _post_json(config, request)
    return _plan_from_reply(reply, question, config, vocabulary)


def _cleaned(err: GeoquantError, config: LLMConfig) -> GeoquantError:
    """``err`` with the key redacted and its text printable and at most 1,000 characters."""
    text = str(err)
    clean = _printable(_redact(text, config), 1000)
    if clean == text:
        return err
    try:
        return type(err)(clean)
    except TypeError:       # an error class with another signature: the base class
        return PlanError(clean)


class _SchemaRefused(Exception):
    """The endpoint does not take a JSON Schema as its response format."""


class _Connections:
    """The sockets of one request, which the waiting thread shuts at its deadline so that the
    request's thread ends at once instead of living on in the background."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._sockets: list[Any] = []
        self.cancelled = False

    def add(self, sock: Any) -> Any:
        with self._lock:
            if self.cancelled:
                sock.close()
                raise OSError("the request was abandoned at its deadline")
            self._sockets.append(sock)
        return sock

    def cancel(self) -> None:
        import socket

        with self._lock:
            self.cancelled = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:       # already closed, or detached into its TLS socket
                    pass


def _recording(cls: Any, connections: _Connections) -> Any:
    """``cls`` (an http.client connection class) handing its sockets to ``connections``."""
    import socket

    class Recorded(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = lambda *a, **k: connections.add(
                socket.create_connection(*a, **k))

        def connect(self) -> None:
            super().connect()
            connections.add(self.sock)

    return Recorded


def _post_json(config: LLMConfig, payload: dict[str, Any]) -> bytes:
    """POST ``payload``; the reply's bytes. One deadline covers connecting, sending and the
    whole reply (a server trickling bytes cannot hold a run); at the deadline the request's
    socket is shut, so its thread ends too. Redirects are refused, so the API key never goes
    to another host."""
    import threading

    outcome: dict[str, Any] = {}
    connections = _Connections()

    def request() -> None:
        try:
            outcome["body"] = _exchange(config, payload, connections)
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=request, name="geoquant-llm-request", daemon=True)
    worker.start()
    worker.join(config.timeout_s)
    if worker.is_alive():
        connections.cancel()
        worker.join(5.0)        # the shut socket wakes it; only a stuck DNS lookup lingers
        raise _late(config)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


def _late(config: LLMConfig) -> PlanError:
    return PlanError(f"the planner endpoint {_public_url(config.endpoint)} did not answer "
                     f"within {config.timeout_s:g} s (timeout_s): check the server, or raise "
                     "timeout_s under [llm]")


def _opener(connections: _Connections) -> Any:
    """A urllib opener that refuses every redirect (the key must not follow one) and records
    its sockets in ``connections``."""
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> None:
            raise _Redirected(code, newurl)

    class Http(urllib.request.HTTPHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_recording(http_class, connections), req, **kwargs)

    class Https(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_recording(http_class, connections), req, **kwargs)

    return urllib.request.build_opener(NoRedirects(), Http(), Https())


class _Redirected(Exception):
    def __init__(self, code: int, target: str) -> None:
        super().__init__(code, target)
        self.code, self.target = code, target


def _exchange(config: LLMConfig, payload: dict[str, Any],
              connections: _Connections | None = None) -> bytes:
    import http.client
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "User-Agent": "geoquant"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(config.endpoint, data=json.dumps(payload).encode("utf-8"),
                                     headers=headers, method="POST")
    where = _public_url(config.endpoint)
    opener = _opener(connections or _Connections())
    try:
        with opener.open(request, timeout=config.timeout_s) as response:
            body = response.read(_MAX_REPLY_BYTES + 1)
    except _Redirected as moved:
        raise PlanError(f"the planner endpoint {where} redirected (HTTP {moved.code}) to "
                        f"{_public_url(moved.target)}; geoquant does not follow redirects, so "
                        "the API key stays with the host you named: give the final URL") \
            from None
    except urllib.error.HTTPError as err:
        detail = _error_detail(err, config)
        if err.code in (400, 422) and "json_schema" in json.dumps(payload) and (
                "response_format" in detail or "json_schema" in detail or "schema" in detail):
            raise _SchemaRefused(detail) from None
        hint = {401: "; check the API key (GEOQUANT_LLM_API_KEY)",
                403: "; check the API key (GEOQUANT_LLM_API_KEY)",
                404: "; check that the URL is the API's base URL (often ending in /v1) and "
                     "that the endpoint serves the model"}.get(err.code, "")
        reason = _printable(_redact(str(err.reason), config), 100)
        message = f"HTTP {err.code} {reason}{detail}{hint}"
        raise PlanError(f"could not reach the planner endpoint {where}: {message}") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise _late(config) from None
        if isinstance(err.reason, _Redirected):
            raise PlanError(f"the planner endpoint {where} redirected; geoquant does not "
                            "follow redirects: give the final URL") from None
        raise PlanError(f"could not reach the planner endpoint {where}: "
                        f"{_printable(_redact(str(err.reason), config))}") from None
    except TimeoutError:        # a socket's own timeout, at the same deadline
        raise _late(config) from None
    except (OSError, http.client.HTTPException) as err:  # resets mid-answer
        reason = str(err) or type(err).__name__
        raise PlanError(f"could not reach the planner endpoint {where}: "
                        f"{_printable(_redact(reason, config))}") from None
    if len(body) > _MAX_REPLY_BYTES:
        raise PlanError(f"the planner endpoint {where} answered with more than "
                        f"{_MAX_REPLY_BYTES // 2**20} MiB, which is no plan")
    return body


def _error_detail(err: Any, config: LLMConfig) -> str:
    """The server's own error message from an HTTP error body, if it gives one: the key
    redacted before anything is cut, then made printable and short."""
    try:
        text = err.read(4096).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - the status alone is enough
        return ""
    text = _redact(text, config)
    try:
        document = _loads(text)
        inner = document.get("error", document) if isinstance(document, dict) else document
        text = inner.get("message", text) if isinstance(inner, dict) else str(inner)
    except (_BadJSON, AttributeError):
        pass
    text = " ".join(_printable(_redact(str(text), config), 4096).split())
    return f" ({_shorten(text)})" if text else ""


class _BadJSON(Exception):
    """Text that is not JSON geoquant reads: its reason in words."""


def _loads(text: str | bytes, *, unique: bool = False) -> Any:
    """JSON text as Python; with ``unique`` a key given twice in one object is refused (a
    plan with two ``answer`` keys is ambiguous, not "the last one wins")."""
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in items:
            if key in found:
                raise _BadJSON(f"the key {_printable(key, 40)!r} is given twice in one object")
            found[key] = value
        return found

    try:
        return json.loads(text, object_pairs_hook=pairs if unique else None)
    except json.JSONDecodeError as err:
        raise _BadJSON(f"not JSON ({err.msg})") from None
    except UnicodeDecodeError:
        raise _BadJSON("not JSON (not UTF-8 text)") from None
    except RecursionError:
        raise _BadJSON("its JSON is nested too deeply to be read") from None
    except ValueError as err:   # a 5000-digit integer
        raise _BadJSON(f"its JSON holds a number too long to be one ({_shorten(str(err), 80)})"
                       ) from None


def _plan_from_reply(body: bytes, question: str, config: LLMConfig,
                     vocabulary: Vocabulary | None = None) -> Plan:
    where = _public_url(config.endpoint)
    try:
        reply = _loads(body)
    except _BadJSON as err:
        text = body[:200].decode("utf-8", "replace")
        raise PlanError(f"the planner endpoint {where} answered with something that is "
                        f"{err} ({_printable(_redact(text, config), 200)!r}): is it an "
                        "OpenAI-compatible API?") from None
    content = _message_content(reply)
    if content is None:
        error = reply.get("error") if isinstance(reply, dict) else None
        said = f": it said {_printable(_redact(str(error), config))}" if error else ""
        raise PlanError(f"the planner endpoint {where} answered without a message "
                        f"(no choices[0].message.content){said}")
    text = _unfence(content)
    try:
        document = _loads(text, unique=True)
    except _BadJSON as err:
        raise PlanError(f"the endpoint answered with an invalid plan: its message is {err}: "
                        f"{_printable(_redact(content, config), 200)!r}") from None
    if not isinstance(document, dict):
        raise PlanError("the endpoint answered with an invalid plan: a plan is a JSON object, "
                        f"got {type(document).__name__}")
    if "error" in document and set(document) <= {"error", "version"}:
        raise QuestionError(f"the LLM planner ({config.model}) refused the question: "
                            f"{_printable(_redact(str(document['error']), config))}; ask it "
                            "in other words, or with the measures geoquant knows")
    _check_keys(document)
    if isinstance(document.get("notes"), list):
        document["notes"] = [_printable(n, 400) if isinstance(n, str) else n
                             for n in document["notes"]]
    document["question"] = question
    try:
        return validate(document, vocabulary=vocabulary)
    except (PlanError, ClassNameError) as err:
        raise PlanError(f"the endpoint answered with an invalid plan: {err}") from None


def _check_keys(document: dict[str, Any]) -> None:
    """Refuse keys no plan or step has, at once and naming a few, whatever their number (the
    schema would name them all, slowly)."""
    def refuse(where: str, extra: list[str]) -> None:
        names = ", ".join(repr(_printable(str(k), 40)) for k in extra[:3])
        more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
        verb = "was" if len(extra) == 1 else "were"
        raise PlanError(f"the endpoint answered with an invalid plan: {where}: {names}{more} "
                        f"{verb} unexpected (no plan has such a key)")

    extra = [k for k in document if k not in PLAN_SCHEMA["properties"]]
    if extra:
        refuse("the plan", extra)
    steps = document.get("steps")
    if not isinstance(steps, list):
        return
    for number, step in enumerate(steps[:MAX_STEPS]):
        if isinstance(step, dict) and step.get("op") in OPS:
            known = OPS[step["op"]].schema()["properties"]
            extra = [k for k in step if k not in known]
            if extra:
                refuse(f"steps/{number} ({step['op']})", extra)


def _message_content(reply: Any) -> str | None:
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) and content.strip() else None


_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


def _unfence(content: str) -> str:
    """The JSON inside a reply, without the Markdown code fences some models add."""
    text = content.strip()
    if text.startswith("{"):
        return text
    fenced = _FENCE.search(text)
    return fenced.group(1).strip() if fenced else text


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def _printable(text: str, limit: int = 300) -> str:
    """``text`` safe for a terminal, at most ``limit`` characters (and "..."): terminal
    escape sequences removed, other control and format characters (line breaks, bidi
    overrides) written as ``\\xNN`` / ``\\uNNNN``."""
    import unicodedata

    text = _ESCAPES.sub("", text[:limit * 4])
    out = []
    for char in text:
        if char == " " or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Zl",
                                                             "Zp"):
            out.append(char)
        else:
            out.append(f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}")
    return _shorten("".join(out), limit)


def _redact(text: str, config: LLMConfig) -> str:
    return text.replace(config.api_key, "***") if config.api_key else text


def _public_url(url: str) -> str:
    """``url`` without any user:password part."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def planner_provenance(config: LLMConfig) -> dict[str, Any]:
    """Who planned: the LLM planner's model and endpoint (never its key), for an answer's
    provenance."""
    return {"name": "llm", "model": config.model, "endpoint": _public_url(config.endpoint)}
