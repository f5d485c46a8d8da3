"""The LLM planner: request, reply parsing, validation and configuration.

No language model can run here, so the endpoint is a canned loopback server: a real
``http.server`` on 127.0.0.1 that records each request and answers with a fixed
OpenAI-format chat completion. Everything else (urllib, JSON, validation) is the real path.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geoquant.errors import InvalidOptionError, PlanError, QuestionError
from geoquant.reason import OPS, PLAN_SCHEMA, validate
from geoquant.reason.llm._corpus import example_questions
from geoquant.reason.llm._llm import LLMConfig, examples, llm_plan, reply_schema, system_prompt
from geoquant.segment._vocabulary import CLASS_NAMES

KEY = "sk-test-secret-0123456789"
PLAN = {"version": 1, "steps": [
    {"id": "trees", "op": "mask", "class": "Trees"},
    {"id": "big", "op": "objects", "of": "trees", "min_area_m2": 10000},
    {"id": "n", "op": "count", "of": "big"}], "answer": "n"}


class CannedEndpoint:
    """A loopback chat-completions server answering every POST with ``self.reply``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.body = b""
        self.delay_s = 0.0
        self.queue: list[tuple[int, bytes]] = []
        self.trickle_s = 0.0
        self.location = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                endpoint.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "json": json.loads(self.rfile.read(length))})
                time.sleep(endpoint.delay_s)
                if endpoint.queue:
                    endpoint.respond(*endpoint.queue.pop(0))
                try:
                    self.send_response(endpoint.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(endpoint.body)))
                    if endpoint.location:
                        self.send_header("Location", endpoint.location)
                    self.end_headers()
                    if endpoint.trickle_s:
                        for k in range(len(endpoint.body)):
                            self.wfile.write(endpoint.body[k:k + 1])
                            self.wfile.flush()
                            time.sleep(endpoint.trickle_s)
                    else:
                        self.wfile.write(endpoint.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, content):
        """Reply with a chat completion whose message is ``content`` (JSON-encoded if not str)."""
        if not isinstance(content, str):
            content = json.dumps(content)
        self.respond(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": "canned",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": content}}]})

    def respond(self, status, body):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()

    def sequence(self, replies):
        """Answer the next requests with these (status, body) replies, in order."""
        self.queue = list(replies)

    @property
    def last(self):
        return self.requests[-1]


@pytest.fixture
def endpoint():
    server = CannedEndpoint()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No user settings or proxies leak in: no GEOQUANT_* variables, an empty config home."""
    for name in ("GEOQUANT_LLM_URL", "GEOQUANT_LLM_MODEL", "GEOQUANT_LLM_API_KEY",
                 "GEOQUANT_CONFIG", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                 "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))


def _config(endpoint, **kw):
    return LLMConfig(url=endpoint.url + "/", model="planner-7b", **kw)


# --- asking ------------------------------------------------------------------------------------

def test_a_valid_reply_comes_back_validated_with_canonical_classes(endpoint):
    endpoint.answer(PLAN)
    question = "how many tree patches bigger than a hectare are there?"
    plan = llm_plan(question, config=_config(endpoint, api_key=KEY))
    assert plan.step("trees").args["class"] == "forest"
    assert plan.answer == "n"
    assert plan.question == question
    assert validate(plan.to_json()) == plan


def test_the_request_carries_model_question_schema_and_key(endpoint):
    endpoint.answer(PLAN)
    question = "how many tree patches bigger than a hectare are there?"
    llm_plan(question, config=_config(endpoint, api_key=KEY))
    request = endpoint.last
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    body = request["json"]
    assert body["model"] == "planner-7b"
    assert body["temperature"] == 0
    assert body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "geoquant_plan", "schema": reply_schema()}}
    system, user = body["messages"]
    assert system["role"] == "system" and user == {"role": "user", "content": question}
    assert json.dumps(PLAN_SCHEMA) in system["content"]


def test_a_server_without_json_schema_output_is_asked_for_plain_json(endpoint):
    replies = [(400, {"error": {"message": "response_format json_schema is not supported"}}),
               (200, {"choices": [{"message": {"content": json.dumps(PLAN)}}]})]
    endpoint.sequence(replies)
    plan = llm_plan("how many forest patches?", config=_config(endpoint))
    assert plan.answer == PLAN["answer"]
    formats = [r["json"]["response_format"]["type"] for r in endpoint.requests]
    assert formats == ["json_schema", "json_object"]


def test_no_authorization_header_without_a_key(endpoint):
    endpoint.answer(PLAN)
    llm_plan("how many forest patches?", config=_config(endpoint))
    assert "Authorization" not in endpoint.last["headers"]


@pytest.mark.parametrize("content", [
    "```json\n" + json.dumps(PLAN, indent=2) + "\n```",
    "```\n" + json.dumps(PLAN) + "\n```\n",
    "Here is the plan:\n```json\n" + json.dumps(PLAN) + "\n```",
])
def test_fenced_json_is_accepted(endpoint, content):
    endpoint.answer(content)
    plan = llm_plan("how many forest patches?", config=_config(endpoint))
    assert plan.step("trees").args["class"] == "forest"


def _with(*steps, answer=None):
    return {"version": 1, "steps": list(steps), "answer": answer or steps[-1]["id"]}


@pytest.mark.parametrize(("document", "message"), [
    (_with({"id": "a", "op": "maks", "class": "forest"}, {"id": "n", "op": "count", "of": "a"}),
     "unknown op 'maks'"),
    (_with({"id": "a", "op": "mask", "class": "forest", "python": "import os"},
           {"id": "n", "op": "count", "of": "a"}), "'python' was unexpected"),
    (_with({"id": "a", "op": "mask", "class": "forest"}), "is a mask"),
    (_with({"id": "a", "op": "mask", "class": "forrest"}, {"id": "n", "op": "count", "of": "a"}),
     "did you mean 'forest'"),
    ({"steps": [], "answer": "x"}, "'version' is a required property"),
])
def test_an_invalid_plan_is_refused_naming_the_problem(endpoint, document, message):
    endpoint.answer(document)
    with pytest.raises(PlanError, match="invalid plan") as caught:
        llm_plan("how many forest patches?", config=_config(endpoint))
    assert message in str(caught.value)


@pytest.mark.parametrize(("content", "message"), [
    ("There are about 12 forest patches.", "not JSON"),
    ("[1, 2, 3]", "a plan is a JSON object"),
])
def test_a_message_that_is_no_plan_object_is_refused(endpoint, content, message):
    endpoint.answer(content)
    with pytest.raises(PlanError, match=message):
        llm_plan("how many forest patches?", config=_config(endpoint))


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>It works!</html>", "not JSON"),
    ({"object": "chat.completion", "choices": []}, "without a message"),
    ({"error": {"message": "context length exceeded"}}, "context length exceeded"),
])
def test_a_reply_that_is_no_chat_completion_is_refused(endpoint, body, message):
    endpoint.respond(200, body)
    with pytest.raises(PlanError, match=message):
        llm_plan("how many forest patches?", config=_config(endpoint))


def test_a_refusal_in_the_error_field_is_a_question_error(endpoint):
    endpoint.answer({"error": "the ops cannot measure temperature"})
    with pytest.raises(QuestionError, match="cannot measure temperature"):
        llm_plan("how warm is the lake?", config=_config(endpoint))


def test_an_http_error_names_url_and_status_but_not_the_key(endpoint):
    endpoint.respond(500, {"error": {"message": f"internal failure for key {KEY}"}})
    config = _config(endpoint, api_key=KEY)
    with pytest.raises(PlanError, match="could not reach the planner endpoint") as caught:
        llm_plan("how many forest patches?", config=config)
    text = str(caught.value)
    assert "HTTP 500" in text and config.endpoint in text and "internal failure" in text
    assert KEY not in text and KEY not in repr(config)


def test_a_closed_port_cannot_be_reached():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig(url=f"http://127.0.0.1:{port}/v1", model="m", timeout_s=5)
    with pytest.raises(PlanError, match=f"could not reach the planner endpoint "
                                        f"http://127.0.0.1:{port}/v1/chat/completions"):
        llm_plan("how many forest patches?", config=config)


def test_a_slow_endpoint_times_out(endpoint):
    endpoint.answer(PLAN)
    endpoint.delay_s = 2.0
    with pytest.raises(PlanError, match="did not answer within 0.3 s"):
        llm_plan("how many forest patches?", config=_config(endpoint, timeout_s=0.3))


def test_a_reply_trickled_byte_by_byte_is_cut_at_the_deadline(endpoint):
    endpoint.answer(PLAN)
    endpoint.trickle_s = 0.2          # a byte every 0.2 s: no single read ever times out
    started = time.monotonic()
    with pytest.raises(PlanError, match="did not answer within 1 s"):
        llm_plan("how many forest patches?", config=_config(endpoint, timeout_s=1.0))
    assert time.monotonic() - started < 2.0


def test_redirects_are_refused_and_the_key_stays_with_the_named_host(endpoint):
    other = CannedEndpoint()
    threading.Thread(target=other.server.serve_forever, daemon=True).start()
    try:
        other.answer(PLAN)
        endpoint.respond(307, b"")
        endpoint.location = other.url + "/chat/completions"
        with pytest.raises(PlanError, match="redirected \\(HTTP 307\\).*does not follow"):
            llm_plan("how many?", config=_config(endpoint, api_key="sk-secret"))
        assert other.requests == []            # nothing, and so no key, went to the other host
    finally:
        other.server.shutdown()


@pytest.mark.parametrize(("content", "message"), [
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    (json.dumps({"version": 1, "steps": [{"id": f"s{i}", "op": "number", "value": i}
                                         for i in range(65)], "answer": "s0"}), "at most 64"),
    ('{"version": 1, "steps": [{"id": "a", "op": "number", "value": ' + "9" * 400 + '}], '
     '"answer": "a"}', "beyond any size"),
    ('{"version": 1, "steps": [{"id": "a", "op": "number", "value": 1e400}], "answer": "a"}',
     "beyond any size"),
])
def test_hostile_plans_are_refused_with_a_specific_error(endpoint, content, message):
    endpoint.answer(content)
    with pytest.raises(PlanError, match=message):
        llm_plan("how many forest patches?", config=_config(endpoint))


def test_an_empty_question_is_refused_before_any_request(endpoint):
    with pytest.raises(QuestionError, match="empty"):
        llm_plan("  ", config=_config(endpoint))
    assert endpoint.requests == []


# --- the prompt --------------------------------------------------------------------------------

def test_the_prompt_explains_every_op_and_class_and_its_examples_are_valid():
    prompt = system_prompt()
    for op, spec in OPS.items():
        assert f"- {op} ({spec.kind}): {spec.meaning}" in prompt
    for name in CLASS_NAMES:
        assert name in prompt
    shown = examples()
    assert len(shown) == len(example_questions())     # one per family of the corpus
    for question, document in shown:
        validate(document)
        assert question in prompt and json.dumps(document) in prompt


def test_importing_the_planner_loads_no_heavy_or_network_modules():
    heavy = ("torch", "dask", "xarray", "zarr", "numba", "jsonschema", "urllib.request",
             "http.client")
    code = ("import sys, geoquant.reason.llm._llm\n"
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


# --- configuration -----------------------------------------------------------------------------

def _write_config(path, **values):
    lines = ["[llm]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_arguments_win_over_environment_which_wins_over_the_file(monkeypatch, tmp_path):
    path = _write_config(tmp_path / "gq.toml", url="http://file:1/v1", model="file-model",
                         api_key="file-key", timeout_s=12)
    config = LLMConfig.load(config_path=path)
    assert config == LLMConfig("http://file:1/v1", "file-model", "file-key", 12)

    monkeypatch.setenv("GEOQUANT_LLM_URL", "http://env:2/v1")
    monkeypatch.setenv("GEOQUANT_LLM_API_KEY", "env-key")
    config = LLMConfig.load(config_path=path)
    assert (config.url, config.model, config.api_key) == ("http://env:2/v1", "file-model",
                                                          "env-key")

    config = LLMConfig.load(url="http://arg:3/v1", model="arg-model", config_path=path)
    assert (config.url, config.model, config.api_key) == ("http://arg:3/v1", "arg-model",
                                                          "env-key")
    assert config.endpoint == "http://arg:3/v1/chat/completions"


def test_the_file_is_found_through_geoquant_config_or_the_config_home(monkeypatch, tmp_path):
    _write_config(tmp_path / "config-home" / "geoquant" / "config.toml",
                  url="http://home:1/v1", model="home-model")
    assert LLMConfig.load().url == "http://home:1/v1"
    named = _write_config(tmp_path / "elsewhere.toml", url="http://named:1/v1", model="m")
    monkeypatch.setenv("GEOQUANT_CONFIG", str(named))
    assert LLMConfig.load().url == "http://named:1/v1"


def test_environment_alone_is_enough(monkeypatch):
    monkeypatch.setenv("GEOQUANT_LLM_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "qwen")
    assert LLMConfig.load() == LLMConfig("http://127.0.0.1:8000/v1", "qwen")


@pytest.mark.parametrize(("given", "missing"), [
    ({"model": "m"}, "url"),
    ({"url": "http://127.0.0.1:8000/v1"}, "model"),
])
def test_a_missing_setting_says_which_and_the_three_ways_to_give_it(given, missing):
    with pytest.raises(InvalidOptionError, match=f"no {missing} is set") as caught:
        LLMConfig.load(**given)
    text = str(caught.value)
    env = {"url": "GEOQUANT_LLM_URL", "model": "GEOQUANT_LLM_MODEL"}[missing]
    assert f"{missing}= argument" in text and env in text
    assert "[llm]" in text and "config.toml" in text


def test_llm_plan_without_config_reads_the_environment(monkeypatch, endpoint):
    endpoint.answer(PLAN)
    monkeypatch.setenv("GEOQUANT_LLM_URL", endpoint.url)
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "env-model")
    monkeypatch.setenv("GEOQUANT_LLM_API_KEY", KEY)
    llm_plan("how many forest patches?")
    assert endpoint.last["json"]["model"] == "env-model"
    assert endpoint.last["headers"]["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(("text", "message"), [
    ("[llm\nurl = 1", "not valid TOML"),
    ('llm = "x"\n', "must be a table"),
    ('[llm]\nurl = "http://a/v1"\nmodle = "m"\n', "unknown key.*'modle'"),
    ("[llm]\nurl = 5\n", "url under \\[llm\\].*must be a string"),
])
def test_a_bad_config_file_is_refused(tmp_path, text, message):
    path = tmp_path / "gq.toml"
    path.write_text(text)
    with pytest.raises(InvalidOptionError, match=message):
        LLMConfig.load(config_path=path)


def test_a_named_config_file_must_exist(tmp_path):
    with pytest.raises(InvalidOptionError, match="does not exist"):
        LLMConfig.load(config_path=tmp_path / "nope.toml")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "127.0.0.1:8000/v1", "ftp://host/v1"])
def test_only_http_urls_are_accepted(url):
    with pytest.raises(InvalidOptionError, match="not an http"):
        LLMConfig(url=url, model="m")


def test_ask_with_the_llm_planner_answers_from_its_plan(monkeypatch, endpoint, demo_api,
                                                       tmp_path):
    """The whole path: gq.ask -> endpoint plan -> validation -> run on the demo labels; an
    invalid plan from the endpoint writes nothing."""
    import geoquant as gq

    monkeypatch.setenv("GEOQUANT_LLM_URL", endpoint.url)
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "env-model")
    endpoint.answer(PLAN)
    source = f"{demo_api}/collections/slovenia-lulc"
    by_llm = gq.ask("how many tree patches bigger than a hectare are there?", source=source,
                    planner="llm")
    by_rules = gq.ask("How many forest patches larger than 1 ha are there?", source=source)
    assert by_llm.value == by_rules.value and by_llm.plan.answer == "n"
    endpoint.answer(_with({"id": "a", "op": "mask", "class": "forest"}))
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with pytest.raises(PlanError, match="invalid plan"):
        gq.ask("how much forest?", source=source, planner="llm", out=outputs / "a.zarr")
    assert list(outputs.iterdir()) == []


# --- issue 27 item 4: the exchange's gaps, and planner="auto" ----------------------------------

UNREADABLE = "blorp the zorp?"          # the rules planner refuses it (QuestionError)


def test_a_url_already_ending_in_chat_completions_is_not_doubled(endpoint):
    endpoint.answer(PLAN)
    for url in (endpoint.url + "/chat/completions", endpoint.url + "/chat/completions/"):
        config = LLMConfig(url=url, model="m")
        assert config.endpoint == endpoint.url + "/chat/completions"
        llm_plan("how many forest patches?", config=config)
        assert endpoint.last["path"] == "/v1/chat/completions"


def test_the_enforced_schema_allows_the_refusal_the_prompt_asks_for(endpoint):
    """The prompt's last rule asks for {"error": ...}; the schema sent must allow exactly it
    (and still every plan), and the refusal becomes a QuestionError naming the model."""
    import jsonschema

    schema = reply_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    check = jsonschema.Draft202012Validator(schema)
    assert check.is_valid({"error": "the ops cannot measure temperature"})
    assert check.is_valid(PLAN)
    assert not check.is_valid({"error": "x", "steps": []})
    assert not check.is_valid({"error": 5})
    assert '{"error": "<why, in one sentence>"}' in system_prompt()
    endpoint.answer({"error": "the ops cannot measure temperature"})
    with pytest.raises(QuestionError, match=r"planner-7b\) refused the question: the ops "
                                            "cannot measure temperature"):
        llm_plan("how warm is the lake?", config=_config(endpoint))
    assert endpoint.last["json"]["response_format"]["json_schema"]["schema"] == schema


def test_the_sources_own_legend_words_are_sent_and_accepted(endpoint):
    from geoquant.segment import Vocabulary

    vocabulary = Vocabulary(["Vineyard", "Forest", "Orchard"])
    endpoint.answer(_with({"id": "v", "op": "mask", "class": "vineyard"},
                          {"id": "s", "op": "share", "of": "v"}))
    plan = llm_plan("what share is under vines?", config=_config(endpoint),
                    vocabulary=vocabulary)
    assert plan.step("v").args["class"] == "vineyard"
    system = endpoint.last["json"]["messages"][0]["content"]
    assert system.startswith(system_prompt())
    assert '"vineyard"' in system and '"orchard"' in system
    # without the legend the same plan is refused: the word is the source's, not built in
    with pytest.raises(PlanError, match="invalid plan"):
        llm_plan("what share is under vines?", config=_config(endpoint))
    assert '"vineyard"' not in endpoint.last["json"]["messages"][0]["content"]


@pytest.fixture
def configured(monkeypatch, endpoint):
    monkeypatch.setenv("GEOQUANT_LLM_URL", endpoint.url)
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "env-model")
    monkeypatch.setenv("GEOQUANT_LLM_API_KEY", KEY)
    return endpoint


def test_auto_plans_by_the_rules_first_and_never_asks_the_endpoint_then(configured):
    from geoquant.reason._ask import planned

    plan, by = planned("How many forest patches larger than 1 ha are there?", "auto")
    assert by == {"name": "rules"} and plan.answer
    assert configured.requests == []


def test_auto_asks_the_endpoint_where_the_rules_refuse(configured):
    from geoquant.reason._ask import make_plan, planned

    configured.answer(PLAN)
    plan, by = planned(UNREADABLE, "auto")
    assert plan.answer == "n" and plan.question == UNREADABLE
    assert by["name"] == "llm" and by["model"] == "env-model"
    assert by["endpoint"] == configured.url + "/chat/completions"
    assert by["chosen_by"].startswith("auto: the rules planner refused the question (cannot "
                                      "plan 'blorp the zorp?'")
    assert KEY not in json.dumps(by)
    assert make_plan(UNREADABLE, "auto") == plan


def test_auto_without_an_endpoint_is_the_rules_planner(endpoint):
    from geoquant.reason._ask import planned

    with pytest.raises(QuestionError, match="cannot plan 'blorp the zorp\\?'"):
        planned(UNREADABLE, "auto")
    assert endpoint.requests == []


@pytest.mark.parametrize(("reply", "error", "message"), [
    (_with({"id": "a", "op": "mask", "class": "forest"}), PlanError,
     r"neither planner could plan the question: the rules planner refused it \(cannot plan "
     r"'blorp the zorp\?'.*the endpoint answered with an invalid plan: the answer 'a' is a "
     "mask"),
    ({"error": "no op measures zorps"}, QuestionError,
     r"neither planner.*env-model\) refused the question: no op measures zorps"),
])
def test_auto_gives_no_plan_when_the_llm_plan_fails_validation(configured, reply, error,
                                                                message):
    from geoquant.reason._ask import planned

    configured.answer(reply)
    with pytest.raises(error, match=message):
        planned(UNREADABLE, "auto")


def test_auto_reports_a_half_configured_endpoint(monkeypatch):
    from geoquant.reason._ask import planned

    monkeypatch.setenv("GEOQUANT_LLM_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(InvalidOptionError, match="no model is set"):
        planned(UNREADABLE, "auto")


def test_an_unknown_planner_name_lists_auto():
    from geoquant.reason._ask import make_plan

    with pytest.raises(InvalidOptionError, match="'rules', 'llm', 'auto' or a callable"):
        make_plan("How many forest patches are there?", "gpt")


def test_ask_and_the_cli_default_to_auto_and_name_planner_and_model(configured, demo_api,
                                                                    capsys):
    """gq.ask and `geoquant ask` with no --planner: the rules answer what they read; the LLM's
    plan answers what they refuse, and the provenance says which, with the model."""
    import geoquant as gq
    from geoquant.cli import main

    source = f"{demo_api}/collections/slovenia-lulc"
    by_rules = gq.ask("How many forest patches larger than 1 ha are there?", source=source,
                      thresholds=None)
    assert by_rules.provenance["planner"] == {"name": "rules"}
    assert configured.requests == []
    configured.answer(PLAN)
    by_llm = gq.ask(UNREADABLE, source=source, thresholds=None)
    assert by_llm.value == by_rules.value
    assert by_llm.provenance["planner"]["name"] == "llm"
    assert by_llm.provenance["planner"]["model"] == "env-model"
    assert main(["ask", UNREADABLE, "--source", source, "--json", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed)["provenance"]["planner"]["model"] == "env-model"
    assert KEY not in printed
    configured.answer(_with({"id": "a", "op": "mask", "class": "forest"}))
    assert main(["ask", UNREADABLE, "--source", source, "--quiet"]) == 2
    assert "neither planner could plan the question" in capsys.readouterr().err


def test_the_cli_offers_auto_for_ask_and_eval():
    from geoquant.cli import build_parser

    parser = build_parser()
    for command in (["ask", "q", "--source", "s"], ["eval", "q.jsonl"]):
        assert parser.parse_args(command).planner == "auto"
        assert parser.parse_args([*command, "--planner", "rules"]).planner == "rules"
    text = parser._subparsers._group_actions[0].choices["eval"].format_help()
    assert "auto (default)" in " ".join(text.split())


# --- issue 32 items 10, 11 and 7: the key kept secret, hostile replies, bounded calls ----------

def test_a_key_with_surrounding_whitespace_is_stripped(monkeypatch, endpoint):
    endpoint.answer(PLAN)
    llm_plan("how many forest patches?", config=_config(endpoint, api_key=f"  {KEY}\n"))
    assert endpoint.last["headers"]["Authorization"] == f"Bearer {KEY}"
    monkeypatch.setenv("GEOQUANT_LLM_URL", endpoint.url + "\n")
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "env-model\n")
    monkeypatch.setenv("GEOQUANT_LLM_API_KEY", KEY + "\r\n")
    config = LLMConfig.load()
    assert (config.api_key, config.model, config.url) == (KEY, "env-model", endpoint.url)
    llm_plan("how many forest patches?")
    assert endpoint.last["headers"]["Authorization"] == f"Bearer {KEY}"
    assert LLMConfig(url=endpoint.url, model="m", api_key=" \n").api_key is None


def test_a_key_with_a_line_break_inside_is_refused_without_printing_it():
    with pytest.raises(InvalidOptionError, match="line break") as caught:
        LLMConfig(url="http://127.0.0.1:1/v1", model="m", api_key="sk-abc\ndef")
    assert "sk-abc" not in str(caught.value)


@pytest.mark.parametrize(("status", "body"), [
    (500, {"error": {"message": "x" * 290 + f" bad key {KEY} given"}}),   # cut inside the key
    (401, f"Unauthorized: Bearer {KEY}".encode()),                          # plain text
    (200, {"error": f"no such key: {KEY}"}),                                 # no message
    (200, {"choices": [{"message": {"content": f"I will not plan this, {KEY}"}}]}),
    (200, {"choices": [{"message": {"content": json.dumps(
        {"error": f"refused for {KEY}"})}}]}),
])
def test_the_key_echoed_by_the_server_is_redacted_everywhere(endpoint, status, body):
    endpoint.respond(status, body)
    with pytest.raises((PlanError, QuestionError)) as caught:
        llm_plan("how many forest patches?", config=_config(endpoint, api_key=KEY + "\n"))
    text = str(caught.value)
    assert KEY[:8] not in text and "*" in text      # "***", or its start where cut


@pytest.mark.parametrize(("body", "message"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"choices": [], "usage": ' + b"9" * 5000 + b"}", "number too long"),
])
def test_a_reply_body_nested_deeply_or_holding_a_huge_number_is_a_plan_error(endpoint, body,
                                                                           message):
    endpoint.respond(200, body)
    with pytest.raises(PlanError, match=message):
        llm_plan("how many forest patches?", config=_config(endpoint))


def test_timed_out_calls_leave_no_thread_running(endpoint):
    endpoint.answer(PLAN)
    endpoint.delay_s = 3.0
    for _ in range(8):
        with pytest.raises(PlanError, match="did not answer within 0.2 s"):
            llm_plan("how many forest patches?", config=_config(endpoint, timeout_s=0.2))
    alive = [t for t in threading.enumerate() if t.name == "geoquant-llm-request"]
    assert alive == []


@pytest.mark.parametrize("timeout_s", [float("inf"), float("nan"), -1, 0, True, 1e300, "60"])
def test_a_timeout_that_is_no_finite_number_of_seconds_is_refused(timeout_s):
    with pytest.raises(InvalidOptionError, match="timeout_s must be a finite number"):
        LLMConfig(url="http://127.0.0.1:1/v1", model="m", timeout_s=timeout_s)


def test_timeout_inf_in_the_config_file_is_refused(tmp_path):
    path = tmp_path / "gq.toml"
    path.write_text('[llm]\nurl = "http://127.0.0.1:1/v1"\nmodel = "m"\ntimeout_s = inf\n')
    with pytest.raises(InvalidOptionError, match="timeout_s must be a finite number"):
        LLMConfig.load(config_path=path)


def test_a_duplicated_answer_key_is_refused(endpoint):
    content = ('{"version": 1, "steps": [{"id": "a", "op": "mask", "class": "forest"}, '
               '{"id": "n", "op": "count", "of": "a"}, {"id": "s", "op": "share", "of": "a"}], '
               '"answer": "n", "answer": "s"}')
    endpoint.answer(content)
    with pytest.raises(PlanError, match="the key 'answer' is given twice"):
        llm_plan("how many forest patches?", config=_config(endpoint))


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202e"


@pytest.mark.parametrize(("status", "body"), [
    (500, {"error": {"message": ESCAPES + "y" * 100_000}}),
    (200, {"choices": [{"message": {"content": json.dumps(_with(
        {"id": "a", "op": "mask", "class": "forest"},
        {"id": "n", "op": "area", "of": "a", "unit": ESCAPES + "x" * 100_000}))}}]}),
    (200, {"choices": [{"message": {"content": json.dumps({"error": ESCAPES * 50})}}]}),
    (200, {"choices": [{"message": {"content": ESCAPES + "z" * 100_000}}]}),
    (200, {"error": ESCAPES + "w" * 100_000}),
])
def test_escape_sequences_and_huge_strings_never_reach_the_terminal(endpoint, status, body):
    endpoint.respond(status, body)
    with pytest.raises((PlanError, QuestionError)) as caught:
        llm_plan("how many forest patches?", config=_config(endpoint))
    text = str(caught.value)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert len(text) <= 1003


def test_the_cli_prints_one_clean_line_without_the_key(monkeypatch, endpoint, capsys):
    from geoquant.cli import main

    monkeypatch.setenv("GEOQUANT_LLM_URL", endpoint.url)
    monkeypatch.setenv("GEOQUANT_LLM_MODEL", "m")
    monkeypatch.setenv("GEOQUANT_LLM_API_KEY", KEY + "\n")
    endpoint.respond(500, {"error": {"message": f"{ESCAPES} key {KEY} " + "v" * 50_000}})
    assert main(["ask", "how many forest patches?", "--source", "nowhere.tif",
                 "--planner", "llm", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and KEY[:8] not in err
    assert "HTTP 500" in err and len(err) < 1100


@pytest.mark.parametrize("where", ["plan", "step"])
def test_a_plan_with_thousands_of_extra_keys_is_refused_fast(endpoint, where):
    extra = {f"k{i}": i for i in range(8000)}
    document = _with({"id": "a", "op": "mask", "class": "forest"},
                     {"id": "n", "op": "count", "of": "a"})
    if where == "plan":
        document.update(extra)
    else:
        document["steps"][0].update(extra)
    endpoint.answer(document)
    started = time.perf_counter()
    with pytest.raises(PlanError, match=r"'k0', 'k1', 'k2' and 7997 more were unexpected"):
        llm_plan("how many forest patches?", config=_config(endpoint))
    assert time.perf_counter() - started < 2.0


def test_credentials_in_the_url_stay_out_of_repr_and_provenance():
    from geoquant.reason.llm._llm import planner_provenance

    config = LLMConfig(url="http://user:hunter2@127.0.0.1:1/v1", model="m", api_key=KEY)
    assert "hunter2" not in repr(config) and KEY not in repr(config)
    assert "hunter2" not in json.dumps(planner_provenance(config))


def test_eval_with_auto_records_which_planner_planned_each_row(configured, demo_api, tmp_path):
    from geoquant.reason import evaluate

    record = {"image": "slovenia-lulc", "answer": 1, "acceptable_range_lower": None,
              "acceptable_range_upper": None, "type": "count", "tier": 1}
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(dict(record, id=i, question=q)) for i, q in (
        ("rules", "How many forest patches larger than 1 ha are there?"),
        ("llm", UNREADABLE))) + "\n")
    configured.answer(PLAN)
    report = evaluate(path, catalog=demo_api)
    by_id = {o.record.id: o for o in report.outcomes}
    assert by_id["rules"].planner == {"name": "rules"} and by_id["rules"].error is None
    assert by_id["llm"].planner["model"] == "env-model" and by_id["llm"].error is None
    assert by_id["llm"].value == by_id["rules"].value
    assert report.to_dict()["outcomes"][1]["planner"]["name"] == "llm"
    assert len(configured.requests) == 1
