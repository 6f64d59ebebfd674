"""BFCL (Berkeley Function-Calling Leaderboard) files -> toolrouter cases, scored by toolrouter's
strict rules or, with match="bfcl", by a reproduction of BFCL's own AST checker.

    toolrouter eval --bfcl BFCL_v4_live_simple.json --predictions preds.jsonl            # strict
    toolrouter eval --bfcl BFCL_v4_live_simple.json --predictions preds.jsonl --match bfcl
    toolrouter eval --bfcl BFCL_v4_multiple.json --model runs/x --mode json                # generate
    bset = load_bfcl("BFCL_v4_multiple.json")   # answers: possible_answer/<same name> beside it

Each BFCL entry offers its own functions, so every case carries its own catalogue. Nothing is
refused whole: an entry that cannot be scored (multi-turn, Java/JavaScript, more than MAX_CALLS
expected calls, a malformed line, functions that cannot be converted) is skipped with its reason
and counted. Parallel entries (several calls expected, in any order) have a list of calls as their
target, matched as a multiset (toolrouter.eval.metrics). The conversion, quirk by quirk:

  "type": "dict"     -> "object";   "float" -> "number";   "tuple" -> "array"
  "type": "any"      -> "string". Our schemas (and grammar decoding, compact prompts) need a type on
                        every argument, and the "any" arguments in these files have string golds.
  an enum on an array lists the choices of its items (live data): it moves to "items".
  a "dict" with no properties (poker cards, grade books): a free-form object (string keys, any JSON
                        values). toolrouter catalogues refuse those (schema.py), so this module builds
                        the ToolSpecs itself (`bfcl_catalogue`) instead of going through
                        `catalogue_from_openai`.
  "optional", "format"  dropped (not JSON schema keywords we use); a "default" is kept only when it
                        is a valid value of the argument ("None" on a dict, null on a string are
                        not), because eval treats an omitted argument as its default.
  dotted names (math.factorial) are valid tool names as they are.
  question[0]        the conversation; one user message becomes "prompt". A leading system message
                        (live data) follows toolrouter's system prompt (Case.conversation).
  acceptable values  [v] -> v;  [v1, v2] -> {"any_of": [v1, v2]};  "" means "may be omitted" and
                        becomes null inside any_of ({"any_of": ["units", null]}: "units" or omitted);
                        [""] alone (or ["", null]: live data writes an explicit None) means the gold
                        omits it. Dict values nest the same way ({"math": [90]} -> {"math": 90});
                        list elements are concrete values. An acceptable value the function's own
                        schema refuses is dropped when another one is valid, since no valid output
                        can equal it ("bronze" outside the enum ["Bronze", ...]). "" on a required
                        argument is dropped too (simple_python_200 lists it first).
  gold that breaks its own schema (no acceptable answer is a valid call: a value outside its enum,
                        true for a string, an argument the function lacks, [] as the only answers for
                        a required list; 18 of the 1311 live_simple/live_multiple entries): strict
                        rules could never match it, so it is scored with BFCL's rules under either
                        --match, and listed in the report (`gold_breaks_schema`).
  irrelevance        every case wants no call (no_tool); relevance (live) any call, no answers file.

BFCL's checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py, Apache-2.0), whose rules
`bfcl_verdict` reproduces, language Python. Parallel categories: as many calls as expected, and each
expected call, in the gold's order, takes the first unused answer call that passes it (greedy, as
BFCL's parallel_function_checker_no_order). One expected call: the function name exactly;
required parameters present; every given parameter in the schema and in the gold; a type check with
Python's type() (True is not an integer, 5.0 is not an integer, an int is accepted for a float at
the top level only, a value of the gold's own type passes as a "variable", lists one level deep);
strings compared after removing spaces and ,./-_*^ and lowercasing (' == "), with no enum check;
lists in order, element by element the same way; dicts key by key against the gold's own keys;
everything else with Python's == against the acceptable values; an omitted parameter passes only
when "" is among its acceptable values. Irrelevance passes any answer that is not a call.
benchmarks/bfcl_agreement.py checks the reproduction against bfcl-eval itself.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import BaseModel, Field, TypeAdapter

from toolrouter.core.catalogue import Catalogue, CatalogueError
from toolrouter.eval.metrics import INVALID, CaseScore, pick_alternative, score_case, tool_label
from toolrouter.formats.parse import MAX_CALLS, format_call, parse_tool_call
from toolrouter.core.schema import NO_TOOL, ToolrouterError, ToolSpec, _model_from_schema, _python_type, schema_problems
from toolrouter.io import jsonl_lines

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
        if "enum" in out:  # an enum on an array lists the choices of its items
            out["items"].setdefault("enum", out.pop("enum"))
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
    if all(alt is None for alt in alternatives):  # "" and null both mean omitted here
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


# ---------------------------------------------------------------------------------------------
# files -> cases

@dataclass
class BfclSet:
    """A BFCL file read into cases. Nothing is refused whole: an entry that cannot be scored is in
    `skipped` with its reason; one whose gold breaks its own function's schema is scored with
    BFCL's rules even under --match strict, and `schema_breaks` says why (see score_bfcl)."""

    questions: str
    cases: list  # toolrouter.eval.evaluate.Case, each with .bfcl
    skipped: dict[str, str] = field(default_factory=dict)  # id -> why it is not scored
    schema_breaks: dict[str, str] = field(default_factory=dict)  # id -> how its gold breaks the schema

    def summary(self, match: str) -> dict:
        """The report's "bfcl" section: scored and skipped entries (reasons counted, ids listed) and
        the gold answers that break their own schema."""
        return {"questions": self.questions, "match": match, "entries": len(self.cases) + len(self.skipped),
                "scored": len(self.cases), "skipped": len(self.skipped),
                "skipped_reasons": dict(Counter(self.skipped.values()).most_common()), "skipped_ids": self.skipped,
                "gold_breaks_schema": len(self.schema_breaks), "gold_breaks_schema_ids": self.schema_breaks}


def print_summary(summary: dict, console) -> None:
    """The terminal lines under the metric tables: what was scored, what was skipped and why."""
    def line(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)

    line(f"BFCL {summary['questions']}: {summary['scored']} of {summary['entries']} entries scored "
         f"(--match {summary['match']}); {summary['skipped']} skipped")
    for reason, count in summary["skipped_reasons"].items():
        line(f"  skipped {count}: {reason}")
    if summary["gold_breaks_schema"]:
        line(f"  {summary['gold_breaks_schema']} gold answer(s) break their own function's schema and are scored "
             "with BFCL's rules (ids in the JSON report)")


def category_of(case_id: str) -> str:
    """The BFCL category of an entry id: "live_simple_3-2-1" -> "live_simple"."""
    return re.sub(r"_\d[\w-]*$", "", case_id)


def _unsupported(category: str, entry: dict) -> Optional[str]:
    if any(k in category for k in ("multi_turn", "memory", "web_search", "format_sensitivity")):
        return f"{category}: multi-turn/agentic categories are not scored"
    if category.endswith(("java", "javascript")):
        return f"{category}: arguments are {category.rsplit('_', 1)[1]} values written as strings; not scored"
    if not isinstance(entry.get("question"), list) or len(entry["question"]) != 1 or not isinstance(entry["question"][0], list):
        return "expected \"question\" to be one conversation ([[messages]])"
    if not isinstance(entry.get("function"), list):
        return "expected \"function\" to be a list of function definitions"
    if not entry["function"] and "irrelevance" not in category:
        return "no functions offered"
    return None


def _rows(path: Path, what: str, skipped: dict) -> list[tuple[int, dict]]:
    """(line, entry) of every entry with an id; a malformed line is skipped as FILE:LINE."""
    if not path.is_file():
        raise ToolrouterError(f"BFCL {what} file {path} not found")
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ToolrouterError(f"BFCL {what} file {path}: not UTF-8 text ({e.reason} at byte {e.start}); pass a BFCL "
                              ".json file (one JSON entry per line)") from None
    if not text.strip():
        raise ToolrouterError(f"BFCL {what} file {path} is empty; pass a BFCL .json file (one JSON entry per line)")
    for n, line in jsonl_lines(text):
        try:
            row = json.loads(line)
        except RecursionError:
            skipped[f"{path}:{n}"] = "JSON nested too deeply"
            continue
        except json.JSONDecodeError as e:
            skipped[f"{path}:{n}"] = f"not JSON ({e.msg})"
            continue
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            skipped[f"{path}:{n}"] = 'expected an object with an "id"'
            continue
        rows.append((n, row))
    return rows


def _find_answers(questions: Path) -> Optional[Path]:
    """possible_answer/<same name> beside the questions, as BFCL ships them."""
    path = questions.parent / "possible_answer" / questions.name
    return path if path.is_file() else None


def load_bfcl(questions: str | Path, answers: Optional[str | Path] = None) -> BfclSet:
    """Read a BFCL question file (and its possible answers: given, or possible_answer/<same name>
    beside it) into scored cases with their own tools, the raw BFCL entry kept for BFCL's rules.
    Irrelevance entries want no call, relevance entries any call, parallel entries a list of calls;
    multi-turn and Java/JavaScript entries are skipped with their reason, as is any entry that
    cannot be read."""
    from toolrouter.eval.evaluate import Case, _messages_problems, target_problems

    questions = Path(questions)
    skipped: dict[str, str] = {}
    entries = _rows(questions, "questions", skipped)
    answers = Path(answers) if answers is not None else _find_answers(questions)
    truth: dict[str, Any] = {}
    if answers is not None:
        truth = {row["id"]: row.get("ground_truth") for _, row in _rows(answers, "answers", skipped)}
    needs_answers = [row["id"] for _, row in entries if "relevance" not in category_of(row["id"])
                     and not _unsupported(category_of(row["id"]), row)]
    if needs_answers and answers is None:
        raise ToolrouterError(f"BFCL questions {questions}: no possible answers for {len(needs_answers)} entries "
                              f"(e.g. {needs_answers[0]}) and no {questions.parent / 'possible_answer' / questions.name}; "
                              "pass the matching possible_answer file with --bfcl-answers")
    out = BfclSet(str(questions), [], skipped)
    catalogues: dict[str, Any] = {}
    for n, entry in entries:
        cid, category = entry["id"], category_of(entry["id"])
        why = _unsupported(category, entry)
        turns = entry["question"][0] if why is None else []
        if why is None:
            turns = [{"role": m.get("role"), "content": m.get("content")} if isinstance(m, dict) else m for m in turns]
            problems = _messages_problems(turns)
            why = f"conversation: {problems[0]}" if problems else None
        if why is None:
            tools = [convert_function(fn) for fn in entry["function"]]
            key = json.dumps(tools, sort_keys=True)
            if key not in catalogues:
                try:
                    catalogues[key] = bfcl_catalogue(tools, f"{questions}:{n}")
                except ToolrouterError as e:
                    catalogues[key] = e
            catalogue = catalogues[key]
            if isinstance(catalogue, ToolrouterError):
                why = "the offered functions cannot be converted: " + str(catalogue).replace("\n", " ")
        if why is None and "irrelevance" in category:
            target = {"tool": NO_TOOL, "reason": "irrelevance: no offered function fits"}
        elif why is None and "relevance" in category:
            target = {"tool": ANY_CALL}
        elif why is None:
            gold = truth.get(cid)
            if gold is None:
                why = f"no possible answer for {cid} in {answers}"
            elif not (isinstance(gold, list) and gold and all(
                    isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict) for c in gold)):
                why = "the possible answer is not a list of calls ([{function: {parameter: [values]}}, ...])"
            elif len(gold) > MAX_CALLS:
                why = f"the possible answer has {len(gold)} calls; an answer has at most {MAX_CALLS}"
            else:
                targets = [gold_target(call, entry["function"], catalogue) for call in gold]
                target = targets[0] if len(targets) == 1 else targets
                broken = target_problems(target, catalogue)
                if broken:
                    out.schema_breaks[cid] = broken[0]
        if why is not None:
            skipped[cid] = why
            continue
        single = len(turns) == 1 and turns[0]["role"] == "user"
        out.cases.append(Case(id=cid, where=f"{questions}:{n}", prompt=turns[0]["content"] if single else None,
                              messages=None if single else turns, target=target, catalogue=catalogue,
                              bfcl={"category": category, "function": entry["function"],
                                    "ground_truth": truth.get(cid), "schema_break": out.schema_breaks.get(cid)}))
    return out


def gold_target(call: dict, functions: list, catalogue: Catalogue) -> dict:
    """One BFCL ground-truth call {name: {param: [acceptable values]}} -> a toolrouter target, with
    the alternatives the function's own schema refuses dropped (see the module docstring)."""
    (name, params), = call.items()
    fn = next((f for f in functions if f.get("name") == name), {})
    required = set(fn.get("parameters", {}).get("required", []))
    arguments = {}
    for key, values in params.items():
        value = convert_acceptable(values, key in required) if isinstance(values, list) else convert_value(values)
        if value is not None:
            arguments[key] = value
    return {"tool": name, "arguments": prune_alternatives(name, arguments, catalogue)}


# ---------------------------------------------------------------------------------------------
# scoring with BFCL's rules

ANY_CALL = "(any call)"  # the gold "tool" of a relevance entry: any call passes
_TYPES = {"string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
          "dict": dict, "any": str}


def decode_calls(text: Any) -> Optional[list[dict]]:
    """An answer as BFCL's checker takes it: [{name: arguments}, ...]; [] for no_tool; None when it
    is not a call at all. The answer format is still ours ({"tool", "arguments"}, or a JSON list of
    those), read the way BFCL's function-calling handlers read arguments: plain json.loads."""
    try:
        value = json.loads(text)
    except Exception:  # any failure to decode is "not a call", as in BFCL
        return None
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("tool"), str):
            return None
        if item["tool"] == NO_TOOL and set(item) <= {"tool", "reason"}:
            continue
        if set(item) != {"tool", "arguments"} or not isinstance(item["arguments"], dict):
            return None
        calls.append({item["tool"]: item["arguments"]})
    return calls


def _std(text: str) -> str:
    # BFCL's standardize_string: "April 1, 2024" == "april 1 2024"
    return re.sub(r"[ ,./\-_*^]", "", text).lower().replace("'", '"')


def _std_all(values: Any) -> list:
    return [_std(v) if type(v) == str else v for v in values]


def _type_check(value: Any, answers: list, expected: type, nested: Optional[type]) -> tuple[bool, bool, str]:
    """(valid, is_variable, error): BFCL's type_checker. A value of the gold's own type passes as a
    "variable" even when the schema says otherwise; lists are checked one level deep."""
    answer_type = next((type(a) for a in answers if a != ""), None)
    is_variable = answer_type is not None and answer_type != expected
    valid, error = True, "type_error:simple"
    if type(value) == expected:
        if nested is None:
            return True, is_variable, ""
        for item in answers:
            if type(item) != list or all(_type_check(v, item, nested, None)[0] for v in value):
                return True, is_variable, ""
        valid, error = False, "type_error:nested"
    if answer_type is not None and type(value) == answer_type:
        return valid, True, "" if valid else error
    return False, False, "type_error:simple"


def _dict_check(value: dict, answers: list) -> str:
    error = "dict_checker:unclear"
    for answer in answers:
        if answer == "":
            continue
        error = ""
        for key, v in value.items():
            if key not in answer:
                error = "value_error:dict_key"
                break
            if (_std(v) if type(v) == str else v) not in _std_all(answer[key]):
                error = "value_error:dict_value"
                break
        for key, v in answer.items():
            if key not in value and "" not in v:
                error = "value_error:dict_key"
                break
        if not error:
            return ""
    return error


def _list_dict_check(value: list, answers: list) -> str:
    error = "list_dict_checker:unclear"
    for answer in answers:
        if len(value) != len(answer):
            error = "value_error:list_dict_count"
            continue
        error = next((e for e in (_dict_check(v, [a]) for v, a in zip(value, answer)) if e), "")
        if not error:
            return ""
    return error


def _call_check(fn: dict, call: dict, truth: dict) -> str:
    """"" when `call` passes, else BFCL's error type: simple_function_checker, Python rules."""
    answer = next(iter(truth.values()))
    name, props = fn["name"], fn["parameters"]["properties"]
    if name not in call:
        return "simple_function_checker:wrong_func_name"
    params = call[name]
    if any(p not in params for p in fn["parameters"].get("required", [])):
        return "simple_function_checker:missing_required"
    for param, value in params.items():
        if param not in props or param not in answer:
            return "simple_function_checker:unexpected_param"
        kind = props[param]["type"]
        expected = _TYPES[kind]
        nested = _TYPES[props[param]["items"]["type"]] if kind in ("array", "tuple") else None
        if kind == "float" and type(value) == int:  # Python's int -> float, at the top level only
            value = float(value)
        valid, is_variable, error = _type_check(value, answer[param], expected, nested)
        if not valid:
            return error
        if not is_variable:
            if expected == dict:
                error = _dict_check(value, answer[param])
            elif expected == list and nested == dict:
                error = _list_dict_check(value, answer[param])
            elif expected == str:
                error = "" if _std(value) in _std_all(a for a in answer[param] if type(a) == str) else "value_error:string"
            elif expected == list:
                error = "" if _std_all(value) in [_std_all(a) for a in answer[param]] else "value_error:list/tuple"
            else:
                error = None
            if error is not None:
                if error:
                    return error
                continue
        if value not in answer[param]:
            return "value_error:others"
    if any(p not in params and "" not in values for p, values in answer.items()):
        return "simple_function_checker:missing_optional"
    return ""


def bfcl_verdict(functions: list, truth: list, calls: list, category: str) -> str:
    """"" when `calls` pass BFCL's AST check for the ground-truth calls, else its error type."""
    if "parallel" in category:  # parallel_function_checker_no_order
        if len(calls) != len(truth):
            return "parallel_function_checker_no_order:wrong_count"
        used: set[int] = set()
        for expected in truth:
            fn = next((f for f in functions if f["name"] == next(iter(expected))), None)
            found = None if fn is None else next(
                (j for j, call in enumerate(calls) if j not in used and not _call_check(fn, call, expected)), None)
            if found is None:
                return "parallel_function_checker_no_order:cannot_find_match"
            used.add(found)
        return ""
    if "multiple" in category:
        if len(calls) != len(truth):
            return "multiple_function_checker:wrong_count"
        name = next(iter(truth[0]))
        fn = next((f for f in functions if f["name"] == name), None)
        if fn is None:
            return "simple_function_checker:wrong_func_name"
        return _call_check(fn, calls[0], truth[0])
    if len(calls) != 1:
        return "simple_function_checker:wrong_count"
    return _call_check(functions[0], calls[0], truth[0])


def _bfcl_call_counts(functions: list, truth: list, calls: list) -> dict:
    """The call counts of CaseScore under BFCL's rules: each expected call takes the first unused answer
    call that passes it (matched); of the rest, same-name pairs are wrong, the others missing / extra."""
    used, left_truth = set(), []
    for expected in truth:
        fn = next((f for f in functions if f["name"] == next(iter(expected))), None)
        try:
            j = next((j for j, call in enumerate(calls) if j not in used and not _call_check(fn, call, expected)),
                     None) if fn is not None else None
        except Exception:  # where BFCL's checker would crash: not a match
            j = None
        if j is None:
            left_truth.append(next(iter(expected)))
        else:
            used.add(j)
    left_calls = [next(iter(c)) for j, c in enumerate(calls) if j not in used]
    wrong = sum(min(left_truth.count(name), left_calls.count(name)) for name in set(left_truth))
    return {"gold_calls": len(truth), "pred_calls": len(calls), "matched": len(used), "wrong": wrong,
            "missing": len(left_truth) - wrong, "extra": len(left_calls) - wrong}


def score_bfcl(case: Any, output: str, match: str = "strict") -> CaseScore:
    """Score one BFCL case: toolrouter's strict rules (score_case), or BFCL's with match="bfcl" and
    for a gold that breaks its own schema (strict rules could never match it)."""
    info, target = case.bfcl, case.target
    gold = ANY_CALL if isinstance(target, dict) and target["tool"] == ANY_CALL else tool_label(
        target if isinstance(target, list) else [] if target["tool"] == NO_TOOL else [target])
    category = info["category"]
    if match == "strict" and not info.get("schema_break"):
        if gold != ANY_CALL:
            return score_case(target, output, case.catalogue)
        result = parse_tool_call(output, case.catalogue)
        ok = result.kind == "call"
        label = tool_label(list(result.calls))
        reason = [] if ok else ["missed_call"] if result.kind == "no_tool" else [f"invalid:{result.error}"]
        # a right answer's "gold" is the tool it called, so tool accuracy and the confusion matrix count it
        return CaseScore(label if ok else gold, label if result.ok else INVALID, valid=result.ok,
                         exact=ok, reasons=reason, parsed=result.to_dict())
    calls = decode_calls(output)
    pred = INVALID if calls is None else tool_label([{"tool": next(iter(c))} for c in calls])
    counts = {}
    if "irrelevance" in category:
        error = "" if not calls else "bfcl:irrelevance:function_called"
        counts = {"pred_calls": len(calls or []), "extra": len(calls or [])}
    elif gold == ANY_CALL:
        error = "" if calls else "bfcl:relevance:no_function_called"
    elif calls is None:
        error = "bfcl:ast_decoder:decoder_failed"
        counts = {"gold_calls": len(info["ground_truth"]), "missing": len(info["ground_truth"])}
    else:
        try:
            error = bfcl_verdict(info["function"], info["ground_truth"], calls, category)
        except Exception:  # where BFCL's own checker would crash (e.g. a string where it expects a dict)
            error = "checker_error"
        error = f"bfcl:{error}" if error else ""
        counts = _bfcl_call_counts(info["function"], info["ground_truth"], calls)
    compared = calls is not None and pred == gold and gold not in (NO_TOOL, ANY_CALL)
    gold = pred if gold == ANY_CALL and not error else gold
    return CaseScore(gold, pred, valid=calls is not None, exact=not error, args_compared=compared,
                     args_match=compared and not error, reasons=[error] if error else [],
                     parsed={"kind": "bfcl", "calls": calls}, **counts)
