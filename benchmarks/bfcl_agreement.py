"""Does `toolrouter eval --bfcl ... --match bfcl` give BFCL's own verdict, answer by answer?

    .venv/bin/python benchmarks/bfcl_agreement.py                 # ~2 min; installs bfcl-eval the first time
    .venv/bin/python benchmarks/bfcl_agreement.py --categories live_simple --show 5

For every entry of simple_python, multiple, live_simple and live_multiple (BFCL's data, from the
`bfcl-eval` wheel) the gold call is perturbed into answers of many kinds (the gold itself, another
acceptable value, wrong values and types, missing and extra arguments, list order swaps, case and
punctuation changes, nulls, another function, two calls, no call, malformed text). Each answer is
judged twice:
  - by BFCL's own checker, in its own virtualenv: `eval_runner._evaluate_single_ast_entry` with the
    OpenAI function-calling handler's decoder (a call is {name: json-arguments}; a text reply is not a
    call), language PYTHON, model "gorilla-openfunctions-v2" (dotted names kept);
  - by toolrouter: the answer written in toolrouter's format ({"tool", "arguments"} JSON, a JSON list
    for two calls, {"tool": "no_tool"} for no call, the raw text when malformed), scored by
    `toolrouter.eval.bfcl.score_bfcl(case, text, "bfcl")`, which is what `--match bfcl` runs;
and agreement is reported per category and per variant, with the strict scorer's agreement beside it
(strict differs on purpose: docs/eval.md). Writes benchmarks/results/bfcl_agreement.json.

bfcl-eval pins ~30 API SDKs (and sentence-transformers, which pulls a CUDA torch); its checker needs
none of that, so it is installed with --no-deps plus the few packages its imports need (PINS).
"""
from __future__ import annotations

import argparse
import copy
import json
import platform
import subprocess
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BFCL_VERSION = "2026.3.23"
# What importing bfcl_eval.eval_checker.eval_runner needs (its handlers import every SDK), pinned
# where bfcl-eval pins them; sentence-transformers and faiss are only used by categories not checked here.
PINS = ["numpy==1.26.4", "pandas<2.3", "tree_sitter==0.21.3", "tree-sitter-java==0.21.0",
        "tree-sitter-javascript==0.21.4", "mistralai==1.7.0", "cohere==5.18.0", "datamodel-code-generator==0.25.7",
        "mpmath==1.3.0", "networkx==3.3", "filelock==3.20.0", "rank_bm25==0.2.2", "soundfile", "requests", "tqdm",
        "huggingface_hub", "pydantic>=2.8.2", "python-dotenv>=1.0.1", "openai>=1.86.0", "anthropic>=0.75.0",
        "typer>=0.12.5", "tabulate>=0.9.0", "google-genai>=1.52.0", "qwen-agent", "tenacity>=8.5.0",
        "writer-sdk>=2.1.0", "overrides", "boto3", "beautifulsoup4", "html2text", "google-search-results"]
CATEGORIES = ("simple_python", "multiple", "live_simple", "live_multiple")
TARGET = 0.995

# Runs inside the bfcl-eval virtualenv: JSONL {category, id, result} on stdin -> {id, variant, valid} lines.
BFCL_SIDE = r'''
import json, sys
from bfcl_eval.constants.enums import Language, ReturnFormat
from bfcl_eval.eval_checker.eval_runner import _evaluate_single_ast_entry
from bfcl_eval.model_handler.api_inference.openai_completion import OpenAICompletionsHandler
from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry

handler = object.__new__(OpenAICompletionsHandler)  # decode_ast needs nothing but is_fc_model
handler.is_fc_model = True
data = {}
for line in sys.stdin:
    row = json.loads(line)
    cat = row["category"]
    if cat not in data:
        prompts = {e["id"]: e for e in load_dataset_entry(cat, include_prereq=False, include_language_specific_hint=False)}
        truth = {e["id"]: e["ground_truth"] for e in load_ground_truth_entry(cat)}
        data[cat] = (prompts, truth)
    prompts, truth = data[cat]
    try:
        out = _evaluate_single_ast_entry(handler, row["id"], row["result"], truth[row["id"]], prompts[row["id"]],
                                         "gorilla-openfunctions-v2", cat, Language.PYTHON, ReturnFormat.PYTHON)
        verdict = {"valid": out["valid"], "error_type": out.get("error_type", "")}
    except Exception as e:  # BFCL's checker itself crashed on this answer
        verdict = {"valid": None, "error_type": f"crash:{type(e).__name__}"}
    print(json.dumps({"key": row["key"], **verdict}), flush=True)
'''


def ensure_venv(venv: Path) -> Path:
    """The virtualenv's python, with bfcl-eval installed (first run: ~1 min from a package mirror)."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import bfcl_eval.eval_checker.eval_runner"]
    if python.exists() and subprocess.run(probe, capture_output=True, cwd="/").returncode == 0:
        return python
    print(f"installing bfcl-eval {BFCL_VERSION} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["--no-deps", f"bfcl-eval=={BFCL_VERSION}"], check=True)
    subprocess.run(pip + PINS, check=True)
    subprocess.run(probe, check=True, cwd="/")
    return python


def data_dir(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import bfcl_eval, pathlib; print(pathlib.Path(bfcl_eval.__file__).parent / 'data')"],
                         capture_output=True, text=True, check=True, cwd="/")
    return Path(out.stdout.strip())


# ---------------------------------------------------------------------------------------------
# perturbations: each returns an answer or None when it does not apply to this entry
#   ("calls", [(name, args), ...]) | ("no_call", None) | ("text", raw)

def first_values(params: dict, required: set, pick: int = 0) -> dict:
    """A concrete gold call: acceptable value `pick` (clamped) of each parameter, "" = omit."""
    args = {}
    for key, values in params.items():
        if not isinstance(values, list):  # a few nested gold dicts hold plain values
            args[key] = values
            continue
        values = [v for v in values if not (key in required and v == "")] or values
        if not values:
            continue
        value = values[min(pick, len(values) - 1)]
        if value == "" and key not in required:
            continue
        args[key] = concrete(value, pick)
    return args


def concrete(value, pick):
    if isinstance(value, dict):
        return first_values(value, set(), pick)
    if isinstance(value, list):
        return [concrete(v, pick) for v in value]
    return value


def wrong_value(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 7
    if isinstance(v, float):
        return v + 1.25
    if isinstance(v, str):
        return v + " zq"
    if isinstance(v, list):
        return v[:-1] if v else ["zq"]
    if isinstance(v, dict):
        return {**v, "zq": 1} if v else {"zq": 1}
    return "zq"


def wrong_type(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        return str(v)
    if isinstance(v, str):
        return 42
    if isinstance(v, list):
        return v[0] if v else "[]"
    if isinstance(v, dict):
        return json.dumps(v)
    return 0


def map_strings(v, fn):
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, list):
        return [map_strings(x, fn) for x in v]
    if isinstance(v, dict):
        return {k: map_strings(x, fn) for k, x in v.items()}
    return v


def punctuate(s):
    return s.replace(" ", ", ", 1) if " " in s else f"{s[:1]}-{s[1:]}" if len(s) > 1 else s + "."


def pick(rng_key: str, items: list):
    return items[zlib.crc32(rng_key.encode()) % len(items)] if items else None


def variants(entry: dict, truth: dict) -> dict:
    """name -> answer, for the variants that apply to this entry."""
    (name, params), = truth.items()
    fn = next(f for f in entry["function"] if f["name"] == name)
    props = fn["parameters"].get("properties", {})
    required = set(fn["parameters"].get("required", []))
    gold = first_values(params, required)
    cid = entry["id"]
    present = list(gold)
    out = {"gold": [(name, gold)], "gold_last_alternative": [(name, first_values(params, required, 99))]}

    def with_arg(tag, key, value):
        if key is not None:
            out[tag] = [(name, {**gold, key: value})]

    key = pick(cid + "v", present)
    with_arg("wrong_value", key, wrong_value(gold.get(key)))
    key = pick(cid + "t", present)
    with_arg("wrong_type", key, wrong_type(gold.get(key)))
    ints = [k for k in present if type(gold[k]) is int]
    with_arg("int_as_float", pick(cid + "i", ints), float(gold[pick(cid + "i", ints)]) if ints else None)
    with_arg("int_as_bool", pick(cid + "b", ints), True)
    floats = [k for k in present if props.get(k, {}).get("type") == "float" and type(gold[k]) is float]
    if floats and float(gold[floats[0]]).is_integer():
        with_arg("float_as_int", floats[0], int(gold[floats[0]]))
    strings = [k for k in present if isinstance(gold[k], str) and gold[k]]
    key = pick(cid + "s", strings)
    if key:
        with_arg("string_upper", key, gold[key].upper())
        with_arg("string_punctuation", key, punctuate(gold[key]))
        with_arg("string_spaces_removed", key, gold[key].replace(" ", ""))
        with_arg("string_padded", key, f"  {gold[key]} ")
        with_arg("string_as_number", key, 3)
    enums = [k for k in present if "enum" in props.get(k, {}) and isinstance(gold[k], str)]
    key = pick(cid + "e", enums)
    if key:
        with_arg("enum_lowercase", key, gold[key].lower())
        others = [c for c in props[key]["enum"] if c != gold[key]]
        if others:
            with_arg("enum_other_choice", key, pick(cid + "eo", others))
    lists = [k for k in present if isinstance(gold[k], list) and len(gold[k]) > 1 and gold[k] != gold[k][::-1]]
    key = pick(cid + "l", lists)
    with_arg("list_reversed", key, gold[key][::-1] if key else None)
    dicts = [k for k in present if isinstance(gold[k], dict) and gold[k]]
    key = pick(cid + "d", dicts)
    if key:
        inner = pick(cid + "di", list(gold[key]))
        with_arg("dict_value_changed", key, {**gold[key], inner: wrong_value(gold[key][inner])})
        with_arg("dict_key_dropped", key, {k: v for k, v in gold[key].items() if k != inner})
        with_arg("dict_strings_upper", key, map_strings(gold[key], str.upper))
    opt = [k for k in present if k not in required]
    key = pick(cid + "b2", [k for k in present if isinstance(gold[k], bool)])
    with_arg("bool_as_int", key, int(gold[key]) if key else None)
    with_arg("bool_as_string", key, str(gold[key]) if key else None)
    key = pick(cid + "q", [k for k in present if isinstance(gold[k], str) and "'" in gold[k]])
    with_arg("quotes_swapped", key, gold[key].replace("'", '"') if key else None)  # BFCL: ' == "
    with_arg("quote_added", pick(cid + "s", strings), gold[pick(cid + "s", strings)] + "'" if strings else None)
    key = pick(cid + "s", strings)
    with_arg("accent_decomposed", key, gold[key].replace("e", "e\u0301") if key else None)
    key = pick(cid + "n", [k for k in present if type(gold[k]) is float])
    with_arg("float_off_by_rounding", key, gold[key] + 1e-12 if key else None)
    with_arg("float_as_string", key, str(gold[key]) if key else None)
    items = [k for k in present if isinstance(gold[k], list) and gold[k]]
    key = pick(cid + "li", items)
    if key:
        first = gold[key][0]
        with_arg("list_item_wrong_type", key, [wrong_type(first)] + gold[key][1:])
        with_arg("list_item_wrong_value", key, [wrong_value(first)] + gold[key][1:])
        with_arg("list_strings_upper", key, map_strings(gold[key], str.upper))
        with_arg("list_empty", key, [])
        with_arg("list_ints_as_floats", key, [float(x) if type(x) is int else x for x in gold[key]])
        with_arg("list_item_duplicated", key, gold[key] + [first])
        with_arg("list_as_scalar", key, first)
    if dicts:
        key = dicts[0]
        with_arg("dict_extra_key", key, {**gold[key], "zz_extra": "x"})
        with_arg("dict_as_list", key, list(gold[key].values()))
    if opt:
        out["all_optional_dropped"] = [(name, {k: v for k, v in gold.items() if k in required})]
    defaults = {k: props[k]["default"] for k in props if k not in gold and "default" in props[k]}
    if defaults:
        out["all_defaults_added"] = [(name, {**gold, **defaults})]
    out["arguments_empty"] = [(name, {})]
    req = [k for k in present if k in required]
    key = pick(cid + "r", req)
    if key:
        out["missing_required"] = [(name, {k: v for k, v in gold.items() if k != key})]
        with_arg("null_required", key, None)
    opt = [k for k in present if k not in required]
    key = pick(cid + "o", opt)
    if key:
        out["missing_optional"] = [(name, {k: v for k, v in gold.items() if k != key})]
        with_arg("null_optional", key, None)
    absent = [k for k in props if k not in gold]
    key = pick(cid + "a", absent)
    if key is not None:
        spec = props[key]
        value = spec["default"] if spec.get("default") not in (None, "None") else {"integer": 1, "float": 1.0,
                 "boolean": False, "array": [], "dict": {}}.get(spec.get("type"), "x")
        with_arg("extra_optional_at_default", key, value)
        with_arg("extra_optional_null", key, None)
    with_arg("extra_unknown_argument", "zz_not_a_parameter", 1)
    others = [f["name"] for f in entry["function"] if f["name"] != name]
    out["wrong_function"] = [(pick(cid + "f", others) or name + "_x", gold)]
    out["two_calls"] = [(name, gold), (name, gold)]
    out["no_call"] = "no_call"
    text = json.dumps({"tool": name, "arguments": gold})
    out["malformed_truncated"] = ("text", text[: max(1, len(text) // 2)])
    out["malformed_prose"] = ("text", f"I would call {name} for that.")
    return out


def toolrouter_text(answer) -> str:
    if answer == "no_call":
        return json.dumps({"tool": "no_tool", "reason": "none fits"})
    if isinstance(answer, tuple):
        return answer[1]
    calls = [{"tool": n, "arguments": a} for n, a in answer]
    return json.dumps(calls[0] if len(calls) == 1 else calls)


def bfcl_result(answer):
    """What BFCL's function-calling handlers store: [{name: json arguments}], or the model's text."""
    if answer == "no_call":
        return toolrouter_text(answer)
    if isinstance(answer, tuple):
        return answer[1]
    return [{n: json.dumps(a)} for n, a in answer]


# ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--venv", default=str(ROOT / ".bfclvenv"), help="bfcl-eval's own virtualenv (made if missing)")
    p.add_argument("--categories", nargs="+", default=list(CATEGORIES))
    p.add_argument("--show", type=int, default=3, help="disagreements to print per category")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bfcl_agreement.json"))
    args = p.parse_args(argv)

    from toolrouter.eval.bfcl import load_bfcl, score_bfcl

    python = ensure_venv(Path(args.venv))
    data = data_dir(python)
    start = time.time()
    answers, cases = [], {}
    for cat in args.categories:
        bset = load_bfcl(data / f"BFCL_v4_{cat}.json")
        assert not bset.skipped, bset.skipped
        truth = {json.loads(l)["id"]: json.loads(l)["ground_truth"]
                 for l in (data / "possible_answer" / f"BFCL_v4_{cat}.json").read_text().splitlines() if l.strip()}
        entries = {json.loads(l)["id"]: json.loads(l) for l in (data / f"BFCL_v4_{cat}.json").read_text().splitlines()}
        for case in bset.cases:
            cases[case.id] = case
            for variant, answer in variants(entries[case.id], truth[case.id][0]).items():
                answers.append({"key": f"{case.id}|{variant}", "category": cat, "id": case.id, "variant": variant,
                                "text": toolrouter_text(answer), "result": bfcl_result(copy.deepcopy(answer))})
    print(f"{len(answers)} answers over {len(cases)} entries; asking BFCL's checker ...", file=sys.stderr)
    feed = "".join(json.dumps({k: a[k] for k in ("key", "category", "id", "result")}) + "\n" for a in answers)
    run = subprocess.run([str(python), "-c", BFCL_SIDE], input=feed, capture_output=True, text=True, cwd="/")
    if run.returncode:
        print(run.stderr[-3000:], file=sys.stderr)
        return 1
    bfcl = {row["key"]: row for row in map(json.loads, run.stdout.splitlines())}

    per_cat, per_variant, per_cat_strict, disagreements = defaultdict(Counter), defaultdict(Counter), defaultdict(Counter), defaultdict(list)
    crashes = 0
    for a in answers:
        theirs = bfcl[a["key"]]
        if theirs["valid"] is None:
            crashes += 1
            continue
        case = cases[a["id"]]
        ours = score_bfcl(case, a["text"], "bfcl")
        strict = score_bfcl(case, a["text"], "strict")
        agree = ours.exact == theirs["valid"]
        per_cat[a["category"]]["agree" if agree else "differ"] += 1
        per_variant[(a["category"], a["variant"])]["agree" if agree else "differ"] += 1
        per_variant[(a["category"], a["variant"])]["bfcl_pass"] += bool(theirs["valid"])
        per_variant[(a["category"], a["variant"])]["strict_agree"] += strict.exact == theirs["valid"]
        per_cat_strict[a["category"]]["agree" if strict.exact == theirs["valid"] else "differ"] += 1
        if not agree:
            disagreements[a["category"]].append({"id": a["id"], "variant": a["variant"], "answer": a["text"],
                                                 "bfcl": theirs, "toolrouter": ours.reasons or ["pass"]})

    def share(c):
        n = c["agree"] + c["differ"]
        return {"answers": n, "agree": c["agree"], "agreement": c["agree"] / n if n else None,
                "bfcl_pass_rate": c["bfcl_pass"] / n if n else None,
                "strict_agreement": c["strict_agree"] / n if n else None}

    result = {"bfcl_eval": BFCL_VERSION, "answers": len(answers), "bfcl_crashes": crashes, "target": TARGET,
              "seconds": round(time.time() - start, 1), "python": platform.python_version(),
              "command": "benchmarks/bfcl_agreement.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "per_category": {c: {**share(per_cat[c]), "strict_agreement": share(per_cat_strict[c])["agreement"]}
                               for c in args.categories},
              "per_variant": {c: {v: share(n) for (cc, v), n in sorted(per_variant.items()) if cc == c}
                              for c in args.categories},
              "disagreements": {c: disagreements[c][:50] for c in args.categories}}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")

    print(f"{'category':<16}{'answers':>9}{'--match bfcl':>14}{'strict':>9}")
    for c in args.categories:
        r = result["per_category"][c]
        print(f"{c:<16}{r['answers']:>9}{r['agreement']:>13.2%} {r['strict_agreement']:>8.2%}")
    print(f"\nper variant, all categories:\n  {'variant':<28}{'answers':>7}{'bfcl':>9}{'strict':>9}{'BFCL passes':>13}")
    by_variant = defaultdict(Counter)
    for (c, v), n in per_variant.items():
        by_variant[v].update(n)
    for v, n in sorted(by_variant.items()):
        r = share(n)
        print(f"  {v:<28}{r['answers']:>7}{r['agreement']:>9.2%}{r['strict_agreement']:>9.2%}{r['bfcl_pass_rate']:>13.1%}")
    for c in args.categories:
        for d in disagreements[c][:args.show]:
            print(f"differs: {c} {d['id']} {d['variant']}: BFCL {d['bfcl']} vs toolrouter {d['toolrouter']}\n    {d['answer'][:200]}")
    print(f"\nBFCL's checker crashed on {crashes} answers (left out). Wrote {args.out}")
    low = [c for c in args.categories if result["per_category"][c]["agreement"] < TARGET]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
