"""Plans: what a question asks, as a small typed JSON document over the operators.

A plan is a list of steps; each step has an ``id``, an ``op`` and arguments, and may refer to
earlier steps by id. Mask steps make masks (a class by name, or by a product's class code;
objects filtered by size; pixels or objects near or far from another mask; combinations); value
steps measure them (share, area, count, object sizes, distances, connectivity, fragmentation,
change), state a number, or compare two values. The plan's
``answer`` names the step whose value answers the question.

Plans are data, never code: :func:`validate` checks every field against :data:`PLAN_SCHEMA`
(published as ``plan.schema.json``) and the references between steps, and the interpreter only
dispatches on the ``op`` names listed here.

Example (``"how many forest patches larger than 1 ha lie within 500 m of water?"``)::

    {"version": 1,
     "steps": [
       {"id": "forest", "op": "mask", "class": "forest"},
       {"id": "large", "op": "objects", "of": "forest", "min_area_m2": 10000},
       {"id": "water", "op": "mask", "class": "water"},
       {"id": "near", "op": "objects_near", "of": "large", "to": "water", "distance_m": 500},
       {"id": "n", "op": "count", "of": "near"}],
     "answer": "n"}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from geoquant.errors import PlanError, quote
from geoquant.reason.plans._ops import (  # noqa: F401  (re-exported: the plan's units and metrics)
    AREA_UNITS,
    COMPARISONS,
    FRAGMENTATION_METRICS,
    LENGTH_UNITS,
    OPS,
)
from geoquant.segment import Vocabulary

PLAN_VERSION = 1
#: The most steps a plan may have (the longest question of the corpus needs 12).
MAX_STEPS = 64
#: The largest magnitude of a number in a plan: no size or distance on Earth is larger.
MAX_NUMBER = 1e15
#: The most keys of one object of a plan (a step has at most a dozen): more are refused before
#: the schema is checked, whose messages would list them all.
MAX_KEYS = 32
#: The longest op name compared with the known ones for a suggestion.
MAX_NAME = 64
#: The most characters of a schema message quoted in an error.
MAX_SAID = 300
_REF = {"type": "string"}


def _step_schema(op: str) -> dict[str, Any]:
    return OPS[op].schema()


#: The JSON Schema (draft 2020-12) every plan must satisfy.
PLAN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://geoquant.example/plan.schema.json",
    "title": "geoquant plan",
    "type": "object",
    "properties": {
        "version": {"const": PLAN_VERSION},
        "question": {"type": "string"},
        "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS,
                  "items": {"oneOf": [_step_schema(op) for op in OPS]}},
        "answer": _REF,
        "notes": {"type": "array", "items": {"type": "string", "maxLength": 400},
                  "maxItems": 20},
        "connectivity": {"enum": [4, 8]},
    },
    "required": ["version", "steps", "answer"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Step:
    """One validated step: its id, op and arguments (class names canonical)."""

    id: str
    op: str
    args: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """``"mask"`` or ``"value"``."""
        return OPS[self.op].kind

    def refs(self) -> list[str]:
        """Ids of the earlier steps this step reads."""
        found = []
        for key in ("of", "to", "through", "minus", "from", "within"):
            value = self.args.get(key)
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, list):
                found.extend(value)
        return found


@dataclass(frozen=True)
class Plan:
    """A validated plan: steps in order and the id of the answer."""

    steps: tuple[Step, ...]
    answer: str
    question: str = ""
    notes: tuple[str, ...] = ()
    """How the planner read the question where a rule decided (e.g. area, not count)."""
    connectivity: int = 8
    """Pixel connectivity of every object, group and touch of the plan (8, or 4 when the
    question asks for edge neighbours only)."""

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": PLAN_VERSION}
        if self.question:
            out["question"] = self.question
        out["steps"] = [{"id": s.id, "op": s.op, **s.args} for s in self.steps]
        out["answer"] = self.answer
        if self.notes:
            out["notes"] = list(self.notes)
        if self.connectivity != 8:
            out["connectivity"] = self.connectivity
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def validate(document: Any, *, vocabulary: Vocabulary | None = None) -> Plan:
    """Check a plan document (a dict or JSON text) and return the :class:`Plan`.

    ``vocabulary`` adds the class names of a source's legend to the built-in ones.

    Raises
    ------
    PlanError
        Naming the first problem: not JSON, a schema violation (unknown op, missing or
        unexpected argument, negative distance), an unknown class (with a suggestion), a
        reference to a step that does not come earlier, a value used where a mask is needed,
        or an answer that is not a value step.
    """
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as err:
            raise PlanError(f"the plan is not valid JSON: {err}") from None
        except (RecursionError, ValueError) as err:
            raise PlanError(f"the plan's JSON is nested too deeply or holds a number too long "
                            f"to read ({type(err).__name__})") from None
    _check_keys(document)
    _check_numbers(document)
    if isinstance(document, Mapping) and isinstance(document.get("steps"), list) \
            and len(document["steps"]) > MAX_STEPS:
        raise PlanError(f"the plan has {len(document['steps'])} steps; plans have at most "
                        f"{MAX_STEPS}: split the question")
    import jsonschema

    validator = jsonschema.Draft202012Validator(PLAN_SCHEMA)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise PlanError(_describe(errors[0], document))
    steps: list[Step] = []
    kinds: dict[str, str] = {}
    for raw in document["steps"]:
        args = {k: v for k, v in raw.items() if k not in ("id", "op")}
        if "class" in args:
            args["class"] = (vocabulary or Vocabulary()).canonical(args["class"])
        step = Step(raw["id"], raw["op"], MappingProxyType(args))
        if step.id in kinds:
            raise PlanError(f"step id {quote(step.id)} is used twice: give every step its own "
                            "id")
        for ref in step.refs():
            if ref not in kinds:
                raise PlanError(f"step {quote(step.id)} reads {quote(ref)}, which is not an "
                                "earlier step: order the steps so that each reads only earlier "
                                "ones")
            wanted = OPS[step.op].reads
            if kinds[ref] != wanted:
                raise PlanError(f"step {quote(step.id)} ({step.op}) needs a {wanted} but "
                                f"{quote(ref)} is a {kinds[ref]}")
        _check_ranges(step)
        kinds[step.id] = step.kind
        steps.append(step)
    answer = document["answer"]
    if answer not in kinds:
        raise PlanError(f"the answer {quote(answer)} is not a step of the plan")
    if kinds[answer] != "value":
        raise PlanError(f"the answer {quote(answer)} is a mask; answer with a value step "
                        "(share, area, count, ...)")
    return Plan(tuple(steps), answer, str(document.get("question", "")),
                tuple(document.get("notes", ())), int(document.get("connectivity", 8)))


def _check_keys(document: Any) -> None:
    """Refuse a plan object with more keys than any plan has, naming where and the first."""
    places = [("the plan", document, set(PLAN_SCHEMA["properties"]))]
    if isinstance(document, Mapping) and isinstance(document.get("steps"), list):
        known = {key for op in OPS for key in _step_schema(op).get("properties", {})}
        places += [(f"steps/{i}", step, known) for i, step in enumerate(document["steps"])]
    for where, value, known in places:
        if isinstance(value, Mapping) and len(value) > MAX_KEYS:
            first = ", ".join(quote(k, 40) for k in [k for k in value if k not in known][:3])
            raise PlanError(f"{where} has {len(value):,} keys; a plan's objects have at most "
                            f"{MAX_KEYS}: remove the keys no op knows (the first are {first})")


def _check_numbers(value: Any, depth: int = 0) -> None:
    """Refuse documents nested beyond any plan's shape and numbers no size can be."""
    import math

    if depth > 8:
        raise PlanError("the plan is nested deeper than any plan can be: a plan is a list of "
                        "flat steps")
    if isinstance(value, Mapping):
        for item in value.values():
            _check_numbers(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_numbers(item, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise PlanError(f"the plan holds the number {str(value)[:24]}, beyond any size or "
                            f"distance on Earth (at most {MAX_NUMBER:g}): give a real value")


def _check_ranges(step: Step) -> None:
    if step.op == "mask" and ("class" in step.args) == ("code" in step.args):
        raise PlanError(f"step {quote(step.id)} (mask) needs exactly one of 'class' (a class "
                        "name) or 'code' (a product's class code)")
    low, high = step.args.get("min_area_m2"), step.args.get("max_area_m2")
    if low is not None and high is not None and low > high:
        raise PlanError(f"step {quote(step.id)} asks for objects of at least {low} m² and at "
                        f"most {high} m², which no object can be: swap the bounds")


def _describe(error: Any, document: Any) -> str:
    where = quote("/".join(str(p) for p in error.absolute_path), as_repr=False) or "the plan"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        op = error.instance.get("op")
        if op not in OPS:
            import difflib

            close = difflib.get_close_matches(str(op), list(OPS), n=1) \
                if len(str(op)) <= MAX_NAME else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return (f"{where}: unknown op {quote(op)}{hint}; known ops are {', '.join(OPS)}")
        sub = _step_error(error.instance)
        if sub:
            return f"{where} ({op}): {sub}"
    return f"{where}: {_said(error.message)}"


def _step_error(step: dict[str, Any]) -> str:
    """The first schema error of one step against its own op's schema, in words."""
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(_step_schema(step["op"])).iter_errors(step))
    if not errors:
        return ""
    first = errors[0]
    field = "/".join(str(p) for p in first.absolute_path)
    return f"{quote(field, as_repr=False) + ': ' if field else ''}{_said(first.message)}"


def _said(message: str) -> str:
    """A JSON Schema message, which quotes the offending value whole, cut to one line."""
    return quote(message, MAX_SAID, as_repr=False)
