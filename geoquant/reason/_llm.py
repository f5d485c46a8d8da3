"""An optional planner: a language model behind any OpenAI-compatible endpoint writes the plan.

:func:`llm_plan` sends a free-worded question to a chat-completions endpoint (a local server
such as vLLM, llama.cpp or Ollama, or a hosted one) together with a system prompt holding the
plan's JSON Schema, what each op means (from the op table, :data:`~geoquant.reason._ops.OPS`),
the class vocabulary, the rules and worked examples (one per family of the phrasing corpus,
:mod:`geoquant.reason._corpus`). The plan is asked for by the endpoint's JSON Schema option
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
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geoquant.errors import ClassNameError, InvalidOptionError, PlanError, QuestionError
from geoquant.reason._ops import AREA_UNITS, LENGTH_UNITS, OPS
from geoquant.reason._plan import PLAN_SCHEMA, PLAN_VERSION, Plan, validate

#: Environment variable of each setting.
ENV_VARS = {"url": "GEOQUANT_LLM_URL", "model": "GEOQUANT_LLM_MODEL",
            "api_key": "GEOQUANT_LLM_API_KEY"}
#: Environment variable naming the configuration file.
CONFIG_ENV_VAR = "GEOQUANT_CONFIG"
_FILE_KEYS = ("url", "model", "api_key", "timeout_s")
_MAX_REPLY_BYTES = 8 * 1024 * 1024


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
        go to ``url + "/chat/completions"``.
    model : str
        The model name the endpoint serves.
    api_key : str or None
        Sent as ``Authorization: Bearer <api_key>`` when set; never printed.
    timeout_s : float
        Seconds to wait for the endpoint (connection and answer).
    """

    url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidOptionError(
                f"the planner endpoint URL {_public_url(self.url)!r} is not an http(s) URL: "
                "give its base URL, e.g. 'http://127.0.0.1:8000/v1'")
        if not self.model:
            raise InvalidOptionError("the planner model name is empty: give the name the "
                                     "endpoint serves, e.g. 'qwen2.5-7b-instruct'")
        if not self.timeout_s > 0:
            raise InvalidOptionError(f"timeout_s must be a positive number of seconds, got "
                                     f"{self.timeout_s!r}")

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        key = "None" if self.api_key is None else "'***'"
        return (f"LLMConfig(url={self.url!r}, model={self.model!r}, api_key={key}, "
                f"timeout_s={self.timeout_s!r})")

    @property
    def endpoint(self) -> str:
        """The chat-completions URL requests are sent to."""
        return self.url.rstrip("/") + "/chat/completions"

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
        raise InvalidOptionError(f"unknown key(s) {', '.join(map(repr, unknown))} under [llm] "
                                 f"in {path}; known keys are {', '.join(_FILE_KEYS)}")
    for key in ("url", "model", "api_key"):
        if key in table and not isinstance(table[key], str):
            raise InvalidOptionError(f"{key} under [llm] in {path} must be a string, got "
                                     f"{table[key]!r}")
    if "timeout_s" in table and (isinstance(table["timeout_s"], bool)
                                 or not isinstance(table["timeout_s"], (int, float))):
        raise InvalidOptionError(f"timeout_s under [llm] in {path} must be a number of "
                                 f"seconds, got {table['timeout_s']!r}")
    return {k: v for k, v in table.items() if v != ""}


# --- the system prompt -------------------------------------------------------------------------

_RULES = (
    "Reply with one JSON object only: no prose, no comments, no code fences.",
    f'Always "version": {PLAN_VERSION}. Use only the ops and fields of the schema; add no '
    "other fields.",
    "Step ids are short lower-case names (letters, digits, underscore), unique; a step may "
    "only read steps that come before it.",
    'compare, difference_of and percent_change read value steps; every other op that reads '
    'steps ("of", "to", "within", "through", "minus") reads mask steps.',
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
    'sentence>"} instead of a plan.',
)

def examples() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Worked examples for the system prompt: the first phrasing of each family of the phrasing
    corpus (:mod:`geoquant.reason._corpus`) with the plan the rules planner makes of it."""
    from geoquant.reason._corpus import families
    from geoquant.reason._planner import plan_question

    found = []
    for _, phrasings in families().values():
        document = plan_question(phrasings[0]).to_dict()
        question = document.pop("question")
        document.pop("notes", None)
        found.append((question, document))
    return tuple(found)


@cache
def system_prompt() -> str:
    """The system prompt sent with every question (schema, ops, classes, rules, examples)."""
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

def llm_plan(question: str, *, config: LLMConfig | None = None) -> Plan:
    """Ask a language model behind an OpenAI-compatible endpoint to plan a question.

    Parameters
    ----------
    question : str
        The question in free words, e.g. ``"how much woodland is there, in ha?"``.
    config : LLMConfig, optional
        Endpoint, model and key; default :meth:`LLMConfig.load` (environment, config file).

    Returns
    -------
    Plan
        The validated plan (class names canonical), its ``question`` set to ``question``.

    Raises
    ------
    PlanError
        The endpoint could not be reached (connection refused, timeout, an HTTP error status:
        "could not reach the planner endpoint ..."), or its reply is not a valid plan (not
        JSON, no message, a schema or reference error: "... invalid plan: ...").
    QuestionError
        The question is empty, or the model replied that the ops cannot answer it.
    InvalidOptionError
        No endpoint URL or model is configured.
    """
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: ask something about the region, e.g. "
                            "'what share of the area is forest?'")
    if config is None:
        config = LLMConfig.load()
    request = {
        "model": config.model,
        "messages": [{"role": "system", "content": system_prompt()},
                     {"role": "user", "content": question}],
        "temperature": 0,
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "geoquant_plan", "schema": PLAN_SCHEMA}},
    }
    try:
        reply = _post_json(config, request)
    except _SchemaRefused:      # servers without structured output: plain JSON mode
        request["response_format"] = {"type": "json_object"}
        reply = _post_json(config, request)
    return _plan_from_reply(reply, question, config)


class _SchemaRefused(Exception):
    """The endpoint does not take a JSON Schema as its response format."""


def _post_json(config: LLMConfig, payload: dict[str, Any]) -> bytes:
    """POST ``payload``; the reply's bytes. One deadline covers connecting, sending and the
    whole reply (a server trickling bytes cannot hold a run); redirects are refused, so the
    API key never goes to another host."""
    import threading

    outcome: dict[str, Any] = {}

    def request() -> None:
        try:
            outcome["body"] = _exchange(config, payload)
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=request, name="geoquant-llm-request", daemon=True)
    worker.start()
    worker.join(config.timeout_s)
    if worker.is_alive():
        raise PlanError(f"the planner endpoint {_public_url(config.endpoint)} did not answer "
                        f"within {config.timeout_s:g} s (timeout_s): check the server, or "
                        "raise timeout_s under [llm]")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


def _no_redirects() -> Any:
    """A urllib handler that refuses every redirect (the key must not follow one)."""
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> None:
            raise _Redirected(code, newurl)

    return NoRedirects()


class _Redirected(Exception):
    def __init__(self, code: int, target: str) -> None:
        super().__init__(code, target)
        self.code, self.target = code, target


def _exchange(config: LLMConfig, payload: dict[str, Any]) -> bytes:
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
    opener = urllib.request.build_opener(_no_redirects())
    try:
        with opener.open(request, timeout=config.timeout_s) as response:
            body = response.read(_MAX_REPLY_BYTES + 1)
    except _Redirected as moved:
        raise PlanError(f"the planner endpoint {where} redirected (HTTP {moved.code}) to "
                        f"{_public_url(moved.target)}; geoquant does not follow redirects, so "
                        "the API key stays with the host you named: give the final URL") \
            from None
    except urllib.error.HTTPError as err:
        detail = _error_detail(err)
        if err.code in (400, 422) and "json_schema" in json.dumps(payload) and (
                "response_format" in detail or "json_schema" in detail or "schema" in detail):
            raise _SchemaRefused(detail) from None
        hint = {401: "; check the API key (GEOQUANT_LLM_API_KEY)",
                403: "; check the API key (GEOQUANT_LLM_API_KEY)",
                404: "; check that the URL is the API's base URL (often ending in /v1) and "
                     "that the endpoint serves the model"}.get(err.code, "")
        message = f"HTTP {err.code} {err.reason}{detail}{hint}"
        raise PlanError(f"could not reach the planner endpoint {where}: "
                        f"{_redact(message, config)}") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, _Redirected):
            raise PlanError(f"the planner endpoint {where} redirected; geoquant does not "
                            "follow redirects: give the final URL") from None
        raise PlanError(f"could not reach the planner endpoint {where}: "
                        f"{_redact(str(err.reason), config)}") from None
    except (OSError, http.client.HTTPException) as err:  # timeouts, resets mid-answer
        reason = str(err) or type(err).__name__
        raise PlanError(f"could not reach the planner endpoint {where}: "
                        f"{_redact(reason, config)}") from None
    if len(body) > _MAX_REPLY_BYTES:
        raise PlanError(f"the planner endpoint {where} answered with more than "
                        f"{_MAX_REPLY_BYTES // 2**20} MiB, which is no plan")
    return body


def _error_detail(err: Any) -> str:
    """The server's own error message from an HTTP error body, if it gives one."""
    try:
        text = err.read(4096).decode("utf-8", "replace")
    except Exception:  # the status alone is enough
        return ""
    try:
        document = json.loads(text)
        inner = document.get("error", document) if isinstance(document, dict) else document
        text = inner.get("message", text) if isinstance(inner, dict) else str(inner)
    except (json.JSONDecodeError, AttributeError):
        pass
    text = " ".join(str(text).split())
    return f" ({_shorten(text)})" if text else ""


def _plan_from_reply(body: bytes, question: str, config: LLMConfig) -> Plan:
    where = _public_url(config.endpoint)
    try:
        reply = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = body[:200].decode("utf-8", "replace")
        raise PlanError(f"the planner endpoint {where} answered with something that is not "
                        f"JSON ({_shorten(text)!r}): is it an OpenAI-compatible API?") from None
    content = _message_content(reply)
    if content is None:
        error = reply.get("error") if isinstance(reply, dict) else None
        said = f": it said {_shorten(_redact(str(error), config))}" if error else ""
        raise PlanError(f"the planner endpoint {where} answered without a message "
                        f"(no choices[0].message.content){said}")
    text = _unfence(content)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(f"the endpoint answered with an invalid plan: its message is not JSON "
                        f"({err.msg}): {_shorten(content)!r}") from None
    except (RecursionError, ValueError) as err:   # nested too deeply, a 5000-digit number
        raise PlanError(f"the endpoint answered with an invalid plan: its JSON is nested too "
                        f"deeply or holds a number too long to be one ({type(err).__name__})"
                        ) from None
    if not isinstance(document, dict):
        raise PlanError("the endpoint answered with an invalid plan: a plan is a JSON object, "
                        f"got {type(document).__name__}")
    if set(document) == {"error"}:
        raise QuestionError(f"the LLM planner cannot plan this question: "
                            f"{_shorten(str(document['error']))}")
    document["question"] = question
    try:
        return validate(document)
    except (PlanError, ClassNameError) as err:
        raise PlanError(f"the endpoint answered with an invalid plan: {err}") from None


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


def _redact(text: str, config: LLMConfig) -> str:
    return text.replace(config.api_key, "***") if config.api_key else text


def _public_url(url: str) -> str:
    """``url`` without any user:password part."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
