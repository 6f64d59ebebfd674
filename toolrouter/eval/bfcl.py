"""BFCL (Berkeley Function-Calling Leaderboard) questions + possible answers -> toolrouter gold cases.

    toolrouter eval --bfcl BFCL_v4_simple_python.json --bfcl-answers possible_answer/BFCL_v4_simple_python.json \\
        --predictions preds.jsonl
    cases = load_bfcl("BFCL_v4_multiple.json", "possible_answer/BFCL_v4_multiple.json")

Each BFCL entry offers its own functions, so every gold case carries `"tools"` (OpenAI-style) and is
scored against them, not against a catalogue. The conversion, quirk by quirk:

  "type": "dict"     -> "object";   "float" -> "number";   "tuple" -> "array"
  "type": "any"      -> "string". Our schemas (and grammar decoding, compact prompts) need a type on
                        every argument, and the only "any" argument in these files
                        (random_forest.train.data) has a string gold ("my_data"): a name written in
                        the request is text.
  a "dict" with no properties (poker cards, grade books): a free-form object (string keys, any JSON
                        values). toolrouter catalogues refuse those (schema.py), so this module builds
                        the ToolSpecs itself (`bfcl_catalogue`) instead of going through
                        `catalogue_from_openai`; a BFCL gold file written to disk and read back with
                        --gold would be refused for those few tools: score BFCL with --bfcl.
  "optional", "format"  dropped (not JSON schema keywords we use); a "default" is kept only when it
                        is a valid value of the argument ("None" on a dict is not), because eval
                        treats an omitted argument as its default.
  dotted names (math.factorial) are valid tool names as they are.
  question[0]        the conversation (a list of messages); one user message becomes "prompt".
  acceptable values  [v] -> v;  [v1, v2] -> {"any_of": [v1, v2]};  "" means "may be omitted" and
                        becomes null inside any_of ({"any_of": ["units", null]}: "units" or omitted);
                        [""] alone means the gold omits it. Dict values nest the same way
                        ({"math": [90]} -> {"math": 90}); list elements are concrete values.
                        An acceptable value the function's own schema refuses is dropped, since
                        no valid output can equal it (4 of 600: "bronze" outside the enum
                        ["Bronze", ...], [["Apple"], ["Microsoft"]] for a list of strings, true
                        for a string venue, "GF" outside the diet enum). "" on a required
                        argument is dropped too (simple_python_200 lists it first).
  irrelevance        (no answers file) every case is no_tool.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import BaseModel, Field, TypeAdapter

from toolrouter.core.catalogue import Catalogue, CatalogueError
from toolrouter.eval.metrics import pick_alternative
from toolrouter.formats.parse import format_call, parse_tool_call
from toolrouter.core.schema import NO_TOOL, ToolrouterError, ToolSpec, _model_from_schema, _python_type, schema_problems
from toolrouter.io import read_jsonl

TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}
KEEP = ("type", "description", "enum", "items", "properties", "required", "default", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "pattern",
        "minLength", "maxLength")


# ---------------------------------------------------------------------------------------------
# functions -> tools

def convert_schema(schema: dict) -> dict:
    """One BFCL parameter schema -> the JSON schema toolrouter uses (see the module docstring)."""
    out = {k: v for k, v in schema.items() if k in KEEP}
    out["type"] = TYPES.get(schema.get("type"), schema.get("type"))
    if "items" in out:
        out["items"] = convert_schema(out["items"])
    if out["type"] == "object" and out.get("properties"):
        out["properties"] = {k: convert_schema(v) for k, v in out["properties"].items()}
        out["required"] = list(out.get("required", []))
        out["additionalProperties"] = False
    elif out["type"] == "object":
        out.pop("properties", None)
        out.pop("required", None)
    if "default" in out and not _valid_default(out):
        del out["default"]
    return out


def convert_function(fn: dict) -> dict:
    """One BFCL function -> an OpenAI-style tool definition."""
    params = convert_schema({"type": "dict", **fn.get("parameters", {})})
    params.pop("default", None)
    params.pop("description", None)
    params.setdefault("properties", {})
    params.setdefault("required", [])
    params["additionalProperties"] = False
    return {"type": "function", "function": {"name": fn["name"], "description": fn.get("description", ""),
                                             "parameters": params}}


def _free_form(schema: dict) -> bool:
    return schema.get("type") == "object" and not schema.get("properties")


def _field_type(schema: dict, name: str) -> Any:
    """The Pydantic type of a converted schema; free-form objects are dict[str, Any]."""
    if _free_form(schema):
        return dict[str, Any]
    if schema.get("type") == "array" and "enum" not in schema:
        inner = _field_type(schema["items"], name)
        bounds = {b: schema[k] for k, b in (("minItems", "min_length"), ("maxItems", "max_length")) if k in schema}
        return Annotated[list[inner], Field(**bounds)] if bounds else list[inner]
    if schema.get("type") == "object":
        return _model(schema, f"{name}_object")
    return _python_type(schema, name)


def _model(schema: dict, model_name: str) -> type[BaseModel]:
    """schema._model_from_schema, with free-form objects allowed."""
    return _model_from_schema(schema, model_name, field_type=_field_type)


def _problems(schema: dict, where: str) -> list[str]:
    """schema_problems, except that free-form objects are allowed here."""
    if _free_form(schema):
        return []
    if schema.get("type") == "object":
        out = []
        for name, sub in schema["properties"].items():
            out += _problems(sub, f"{where}.{name}")
        out += [f"{where}: required argument {r!r} is not in properties"
                for r in schema.get("required", []) if r not in schema["properties"]]
        return out
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and "enum" not in schema:
        return _problems(schema["items"], f"{where}[]")
    return schema_problems(schema, where)


def _valid_default(schema: dict) -> bool:
    if _problems({k: v for k, v in schema.items() if k != "default"}, "default"):
        return False
    try:
        TypeAdapter(_field_type(schema, "default")).validate_json(json.dumps(schema["default"]), strict=True)
        return True
    except Exception:  # any refusal means "not a usable default"
        return False


def bfcl_catalogue(definitions: list, source: str = "bfcl") -> Catalogue:
    """A Catalogue from converted tool definitions, built directly as ToolSpecs so that BFCL's
    free-form dict arguments validate (as dict[str, Any]). Problems are reported all at once."""
    specs, problems = [], []
    for i, definition in enumerate(definitions):
        fn = definition["function"]
        params = fn["parameters"]
        where = f"[{i}] ({fn['name']})"
        errs = _problems(params, where)
        if errs:
            problems += errs
            continue
        specs.append(ToolSpec(name=fn["name"], description=fn.get("description", ""), parameters=params,
                              model=_model(params, fn["name"])))
    if problems:
        raise CatalogueError(source, problems)
    return Catalogue(specs, name="bfcl", source=source)


# ---------------------------------------------------------------------------------------------
# possible answers -> gold targets

def convert_acceptable(values: list, required: bool = False) -> Any:
    """A BFCL list of acceptable values -> one gold value, {"any_of": [...]} or None (= omitted).
    "" on a required argument is dropped: omitting it can never be valid (simple_python_200 lists
    "" first for its required fuel_efficiency)."""
    alternatives = [None if v == "" else convert_value(v) for v in values if not (required and v == "")]
    if not alternatives or alternatives == [None]:
        return None
    return alternatives[0] if len(alternatives) == 1 else {"any_of": alternatives}


def convert_value(value: Any) -> Any:
    """A concrete BFCL value: dicts hold acceptable-value lists per key, lists hold values."""
    if isinstance(value, dict):
        out = {}
        for key, values in value.items():
            gold = convert_acceptable(values) if isinstance(values, list) else convert_value(values)
            if gold is not None:
                out[key] = gold
        return out
    if isinstance(value, list):
        return [convert_value(v) for v in value]
    return value


def prune_alternatives(tool: str, arguments: dict, catalogue: Catalogue) -> dict:
    """Drop the any_of alternatives of top-level arguments that the tool's schema refuses (checked
    with parse_tool_call, the other arguments at their first alternative). Left as is when the
    first alternatives themselves fail: eval then reports the target as invalid."""
    if tool not in catalogue:
        return arguments

    def valid(args: dict) -> bool:
        return parse_tool_call(format_call(tool, pick_alternative(args, 0), catalogue), catalogue).kind == "call"

    if not valid(arguments):
        return arguments
    out = dict(arguments)
    for key, value in arguments.items():
        if isinstance(value, dict) and set(value) == {"any_of"}:
            kept = [alt for alt in value["any_of"] if valid({**out, key: alt})]
            if kept == [None]:
                del out[key]  # only omission is left
            elif kept:
                out[key] = kept[0] if len(kept) == 1 else {"any_of": kept}
    return out


def _read_lines(path: Path, what: str) -> list[dict]:
    if not path.is_file():
        raise ToolrouterError(f"BFCL {what} file {path} not found")
    problems: list[str] = []
    rows = []
    for n, row in read_jsonl(path, problems, what=f"BFCL {what}"):
        if not isinstance(row, dict) or "id" not in row:
            problems.append(f"{path}:{n}: expected an object with an \"id\"")
        else:
            rows.append(row)
    if problems:
        raise ToolrouterError(f"BFCL {what} file {path}: {len(problems)} problem(s):\n"
                              + "\n".join(f"  - {p}" for p in problems))
    return rows


def load_bfcl(questions: str | Path, answers: Optional[str | Path] = None) -> list[dict]:
    """Read a BFCL question file (and its possible-answer file) into gold cases: one dict per
    entry with id, prompt (or messages), per-case tools and target. Without `answers` the file
    must be an irrelevance category, and every target is no_tool."""
    questions = Path(questions)
    entries = _read_lines(questions, "questions")
    gold: dict[str, Any] = {}
    problems = []
    if answers is not None:
        for row in _read_lines(Path(answers), "answers"):
            truth = row.get("ground_truth")
            if not isinstance(truth, list) or len(truth) != 1 or not isinstance(truth[0], dict) or len(truth[0]) != 1:
                problems.append(f"{answers}: {row['id']}: expected exactly one call in ground_truth "
                                "(parallel/multi-call categories are not supported)")
                continue
            gold[row["id"]] = truth[0]
    elif not all("irrelevance" in e["id"] for e in entries):
        raise ToolrouterError(f"BFCL questions {questions}: no --bfcl-answers given, but not every id is an "
                              "irrelevance case; pass the matching possible_answer file")
    cases = []
    for entry in entries:
        turns = entry.get("question", [[]])[0]
        case: dict[str, Any] = {"id": entry["id"]}
        if len(turns) == 1 and turns[0].get("role") == "user":
            case["prompt"] = turns[0]["content"]
        else:
            case["messages"] = [{"role": m["role"], "content": m["content"]} for m in turns]
        case["tools"] = [convert_function(fn) for fn in entry.get("function", [])]
        if answers is None:
            case["target"] = {"tool": NO_TOOL, "reason": "irrelevance: no offered function fits"}
        elif entry["id"] not in gold:
            problems.append(f"{answers}: no answer for {entry['id']}")
            continue
        else:
            (name, params), = gold[entry["id"]].items()
            fn = next((f for f in entry.get("function", []) if f["name"] == name), {})
            required = set(fn.get("parameters", {}).get("required", []))
            arguments = {}
            for key, values in params.items():
                value = convert_acceptable(values, key in required)
                if value is not None:
                    arguments[key] = value
            case["target"] = {"tool": name, "arguments": arguments}
            try:
                case["target"]["arguments"] = prune_alternatives(name, arguments, bfcl_catalogue(case["tools"]))
            except ToolrouterError:
                pass  # eval reports the broken tool definitions, with their place
        cases.append(case)
    if problems:
        raise ToolrouterError(f"BFCL {questions}: {len(problems)} problem(s):\n"
                              + "\n".join(f"  - {p}" for p in problems))
    return cases
