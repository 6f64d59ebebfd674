"""Casing invariance: re-ask every gold prompt in four casings and count the answers that change.

    python -m toolrouter.eval.casing --run runs/car_control_tiny --gold toolrouter/evals/car_control.jsonl

A router must answer "Lock the doors", "lock the doors", "LOCK THE DOORS" and "Lock The Doors" the
same way. The words that carry the target's string values ("Hotel California", "ORD-48213") keep
their case, so only the casing of the ask itself changes; an answer counts as flipped when its tool
or any argument other than free text differs (strings compared case-folded) from the answer to the
prompt as written. Free text (a refund reason) is scored on its own (token F1), not as a flip.
Prompts the model reads identically (the same text; for a run whose chat template lower-cases
requests, the same text lower-cased) are asked once, so batch-padding noise is not counted as a flip.
`--copy` decodes as `toolrouter eval --copy` does (copied arguments only as spans of the request).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Optional

STYLES = ("sentence", "lower", "upper", "title")
_TOKEN = re.compile(r"\S+")


def _value_words(target: dict, prompt: str) -> set[str]:
    """Words of the target's string values that the prompt says verbatim (a paraphrased reason keeps nothing)."""
    words: set[str] = set()
    said = prompt.casefold()

    def walk(v: Any) -> None:
        if isinstance(v, str) and v.casefold() in said:
            words.update(w.casefold() for w in re.findall(r"[\w'-]+", v))
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    for call in target if isinstance(target, list) else [target]:  # several calls: every call's values
        walk(call.get("arguments", {}))
    return words


def recase(prompt: str, style: str, keep: set[str] = frozenset()) -> str:
    """The prompt in `style`; words whose letters are in `keep` (case-folded) are left as written."""
    def one(m: re.Match) -> str:
        word = m.group()
        core = re.findall(r"[\w'-]+", word)
        if any(c.casefold() in keep for c in core):
            return word
        if style == "lower":
            return word.lower()
        if style == "upper":
            return word.upper()
        if style == "title":
            return word[:1].upper() + word[1:].lower()
        return word.lower()

    text = _TOKEN.sub(one, prompt)
    if style == "sentence":
        first = next(iter(_TOKEN.finditer(prompt)), None)
        if first and not any(c.casefold() in keep for c in re.findall(r"[\w'-]+", first.group())):
            text = text[:1].upper() + text[1:]
    return text


def _key(parsed: Optional[dict]) -> str:
    def fold(v: Any) -> Any:
        if isinstance(v, str):
            return v.casefold()
        if isinstance(v, list):
            return [fold(x) for x in v]
        if isinstance(v, dict):
            return {k: fold(x) for k, x in v.items()}
        return v
    return json.dumps(fold(parsed or {}), sort_keys=True)


def count_flips(answers: dict[str, list[Optional[dict]]]) -> dict:
    """answers[style][i]: the parsed answer of case i in that casing ("as_written" is the reference)."""
    ref = answers["as_written"]
    per_style = {s: sum(_key(a) != _key(r) for a, r in zip(answers[s], ref)) for s in answers if s != "as_written"}
    cases = [i for i in range(len(ref)) if any(_key(answers[s][i]) != _key(ref[i]) for s in per_style)]
    return {"cases": len(ref), "flipped_cases": len(cases), "flips_per_style": per_style, "flipped": cases}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a run dir")
    p.add_argument("--gold", required=True, help="gold JSONL")
    p.add_argument("--constrained", action="store_true")
    p.add_argument("--copy", action="store_true", help="constrained, copied arguments only as request spans")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-new-tokens", type=int, default=128)
    args = p.parse_args(argv)

    from toolrouter.core.catalogue import load_catalogue
    from toolrouter.core.schema import FREE_TEXT_KEY
    from toolrouter.eval.evaluate import _fail, load_gold, predict
    from toolrouter.formats.parse import parse_tool_call
    from toolrouter.io import read_json

    run_dir = Path(args.run)
    run = read_json(run_dir / "run.json")
    catalogue = load_catalogue(run_dir / "catalogue.json")  # the snapshot the run was trained on
    problems: list[str] = []
    cases = load_gold(Path(args.gold), catalogue, problems)
    _fail(problems)
    cases = [c for c in cases if c.prompt is not None]
    variants = {"as_written": [c.prompt for c in cases]}
    for style in STYLES:
        variants[style] = [recase(c.prompt, style, _value_words(c.target, c.prompt)) for c in cases]
    from toolrouter.formats.copy import reads_lowercase
    from toolrouter.infer.loading import load_for_inference

    loaded = load_for_inference(str(run_dir))
    # A prompt the model reads exactly as another one (the same text, or the same once a lower-casing
    # chat template has rendered it) is asked once: batch padding alone can tip a borderline bf16
    # answer, and that is not a casing flip.
    fold = reads_lowercase(loaded.tokenizer)
    flat = [(s, i) for s in variants for i in range(len(cases))]
    first: dict[tuple, int] = {}
    for n, (s, i) in enumerate(flat):
        first.setdefault((i, variants[s][i].lower() if fold else variants[s][i]), n)
    unique = sorted(set(first.values()))
    asked = [type(cases[i])(**{**cases[i].__dict__, "prompt": variants[s][i]}) for s, i in (flat[n] for n in unique)]
    predicted = dict(zip(unique, predict(str(run_dir), asked, run.get("mode", "compact"), args.batch_size,
                                         args.max_new_tokens, args.constrained or args.copy, loaded, copy=args.copy)))
    outputs = [predicted[first[(i, variants[s][i].lower() if fold else variants[s][i])]] for s, i in flat]
    answers: dict[str, list] = {s: [None] * len(cases) for s in variants}
    for (s, i), out in zip(flat, outputs):
        r = parse_tool_call(out, cases[i].catalogue)
        if r.kind == "call":  # every call, free text left out; order-free (sorted), like the eval's matching
            found = []
            for call in r.calls:
                props = cases[i].catalogue[call["tool"]].properties
                args = {k: v for k, v in call["arguments"].items() if not props.get(k, {}).get(FREE_TEXT_KEY)}
                found.append({"tool": call["tool"], "arguments": args})
            answers[s][i] = found[0] if len(found) == 1 else sorted(found, key=_key)
        else:
            answers[s][i] = {"kind": r.kind}
    result = count_flips(answers)
    for i in result["flipped"][:20]:
        print(cases[i].id, {s: (variants[s][i], answers[s][i]) for s in variants}, file=sys.stderr)
    result["flipped"] = [cases[i].id for i in result["flipped"]]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
