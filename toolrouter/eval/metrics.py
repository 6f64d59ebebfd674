"""Pure scoring of router outputs against gold targets: matching rules, rates with Wilson intervals,
typed miss reasons. No torch; `toolrouter.eval.evaluate` feeds it text and writes the report.

The rates (n = number of cases; "valid" = parse_tool_call gives a call or a no_tool):
    valid_tool_call_rate     = valid / n
    tool_name_accuracy       = (valid and predicted tool == gold tool, no_tool included) / n
    argument_match_accuracy  = (valid, predicted tool == gold tool != no_tool, arguments match)
                               / (valid, predicted tool == gold tool != no_tool)
    false_tool_call_rate     = (gold no_tool, prediction a valid call to a real tool) / (gold no_tool)
    missed_call_rate         = (gold real tool, prediction a valid no_tool) / (gold real tool)
    exact_match_rate         = (right tool with matching arguments, or no_tool for gold no_tool) / n
    free_text_f1             = mean token F1 (SQuAD's) of the free-text arguments the gold gives, over the
                               gold/predicted call pairs of the same tool (matched or wrong); not a rate:
                               {"value", "count"}, and it does not move with the minimum F1 below
The tool-use lesson divides argument matches by *all valid outputs* and false calls by *n*; those
mix tool choice into the argument score and shrink the false-call rate by the share of tool cases,
so we report the definitions above (see docs/eval.md). Every rate carries its numerator,
denominator and a 95 % Wilson interval; a rate over 0 cases is null.

Several calls (a gold target that is a list, an answer that is a list): the calls are matched as a
multiset, order-free. A predicted call matches a gold call when the tool is the same and the arguments
match by the rules below (a maximum matching, so the order and any any_of overlap cannot cost a
match). Of the calls left over, a gold and a predicted call of the same tool pair up as one *wrong*
call (right tool, wrong arguments); the other gold calls are *missing*, the other predicted calls
*extra* (an invalid answer counts all its gold calls missing). The six rates read an answer's tools
as one label, its tool names sorted and joined by "+" ("lock_doors+toggle_headlights"), so tool
accuracy asks for the right multiset of tools, arguments are compared when that is right, and exact
match asks for every call matched and none extra. With one call on both sides this is exactly the
one-call scoring: label = the tool, wrong = wrong arguments. `summarize` adds a "calls" section:
totals of gold, predicted, matched, missing, extra and wrong calls, their rates, and exact match on
the cases whose gold has several calls.

Argument matching (gold vs a prediction that already passed the parser, so no unknown/extra keys):
  - an omitted optional argument equals its schema default; with no default, omitted matches
    only omitted;
  - numbers compare numerically (22 == 22.0, floats to a relative 1e-9); booleans are not numbers;
  - strings compare after NFC, trimming, collapsing inner whitespace and case-folding; choices
    (enum values) compare exactly; free text (x-free-text) matches when present and non-empty,
    and its token F1 against the gold text is reported on the side; with a minimum F1 (`min_f1`:
    the recipe's eval.free_text_min_f1, --free-text-min-f1, or the gold case's own
    free_text_min_f1) it matches only when its F1 against some accepted gold text reaches the
    minimum (to a relative 1e-9), else the miss is low_f1;
  - lists compare in order, except uniqueItems lists, which compare as multisets; objects compare
    key by key, recursively (defaults apply at every level);
  - a gold value {"any_of": [v1, v2, ...]} accepts any of them; null inside any_of (or as a gold
    value) means "omitted", and so does a predicted null (the parser allows it only on an optional
    argument without a default).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from toolrouter.core.catalogue import Catalogue
from toolrouter.formats import calls_of
from toolrouter.formats.parse import parse_tool_call
from toolrouter.core.schema import FREE_TEXT_KEY, NO_TOOL

RATES = ("valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "false_tool_call_rate",
         "missed_call_rate", "exact_match_rate")
METRICS = RATES + ("free_text_f1",)  # what --min/--max may name
INVALID = "invalid"
Z95 = 1.959963984540054
REL_TOL = 1e-9


class _Omitted:
    def __repr__(self) -> str:
        return "<omitted>"


OMITTED = _Omitted()
_NO_DEFAULT = object()


# ---------------------------------------------------------------------------------------------
# rates

def wilson(k: int, n: int, z: float = Z95) -> Optional[list[float]]:
    """The Wilson score interval of k successes in n trials; None when n == 0."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k == 0 or k == n the bound is exactly 0 or 1; say so rather than print 0.9999999999999999.
    return [0.0 if k == 0 else centre - half, 1.0 if k == n else centre + half]


def rate(k: int, n: int) -> dict:
    return {"value": k / n if n else None, "numerator": k, "denominator": n, "ci95": wilson(k, n)}


# ---------------------------------------------------------------------------------------------
# value matching

def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def token_f1(gold: str, pred: str) -> float:
    """SQuAD-style token F1 over \\w+ tokens of the normalized texts."""
    g = re.findall(r"\w+", normalize_text(gold))
    p = re.findall(r"\w+", normalize_text(pred))
    if not g or not p:
        return float(g == p)
    common = sum((Counter(g) & Counter(p)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def f1_reaches(f1: float, min_f1: float) -> bool:
    """F1 >= the minimum, to a relative 1e-9 (like numbers): 2 * P * R / (P + R) can land a rounding
    step under a value it equals on paper (P 1, R 3/5: F1 3/4, computed 0.7499999999999999), and that must
    not decide a match."""
    return f1 >= min_f1 or math.isclose(f1, min_f1, rel_tol=REL_TOL)


def gives_free_text(value: Any, schema: dict) -> bool:
    """Whether a gold value (any_of alternatives included) gives a free-text value anywhere in it."""
    for g in alternatives(value):
        if g is OMITTED:
            continue
        if schema.get(FREE_TEXT_KEY):
            return True
        if isinstance(g, dict) and any(gives_free_text(v, schema.get("properties", {}).get(k, {}))
                                       for k, v in g.items()):
            return True
        if isinstance(g, list) and any(gives_free_text(v, schema.get("items", {})) for v in g):
            return True
    return False


def alternatives(gold: Any) -> list:
    """The accepted values of a gold value: any_of lists them; null means omitted."""
    if isinstance(gold, dict) and set(gold) == {"any_of"} and isinstance(gold["any_of"], list):
        return [OMITTED if v is None else v for v in gold["any_of"]]
    return [OMITTED if gold is None else gold]


def pick_alternative(value: Any, k: int) -> Any:
    """One concrete value out of a gold value: alternative k of every any_of (the last one where
    there are fewer); omitted keys are dropped. k = 0 gives the first accepted answer."""
    if isinstance(value, dict) and set(value) == {"any_of"} and isinstance(value["any_of"], list) and value["any_of"]:
        options = value["any_of"]
        value = options[min(k, len(options) - 1)]
        return OMITTED if value is None else pick_alternative(value, k)
    if value is None:
        return OMITTED
    if isinstance(value, dict):
        picked = {key: pick_alternative(v, k) for key, v in value.items()}
        return {key: v for key, v in picked.items() if v is not OMITTED}
    if isinstance(value, list):
        return [None if v is OMITTED else v for v in (pick_alternative(x, k) for x in value)]
    return value


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_miss(gold: Any, pred: Any, schema: dict, where: str,
               min_f1: Optional[float] = None) -> Optional[tuple[str, str]]:
    """None when `pred` matches the (present) gold value, else (argument path, miss kind). `min_f1`:
    the least token F1 at which free text matches (None: present and non-empty is enough)."""
    first = None
    for g in alternatives(gold):  # free text: some alternative reaching min_f1 = the best one does
        miss = (where, "missing") if g is OMITTED else _one_value_miss(g, pred, schema, where, min_f1)
        if miss is None:
            return None
        first = first or miss
    return first


def _one_value_miss(gold: Any, pred: Any, schema: dict, where: str,
                    min_f1: Optional[float] = None) -> Optional[tuple[str, str]]:
    if schema.get(FREE_TEXT_KEY):
        if not (isinstance(pred, str) and pred.strip()):
            return (where, "empty_free_text")
        return None if min_f1 is None or f1_reaches(token_f1(gold, pred), min_f1) else (where, "low_f1")
    if "enum" in schema:  # choices compare exactly (the parser already checked pred is a choice)
        same = gold == pred and isinstance(gold, bool) == isinstance(pred, bool)
        return None if same else (where, "wrong_choice")
    if isinstance(gold, bool) or isinstance(pred, bool):
        return None if gold is pred else (where, "wrong_value")
    if _is_number(gold) and _is_number(pred):
        return None if gold == pred or math.isclose(gold, pred, rel_tol=REL_TOL) else (where, "wrong_value")
    if isinstance(gold, str) and isinstance(pred, str):
        return None if normalize_text(gold) == normalize_text(pred) else (where, "wrong_value")
    if isinstance(gold, list) and isinstance(pred, list):
        return _list_miss(gold, pred, schema, where, min_f1)
    if isinstance(gold, dict) and isinstance(pred, dict):
        misses = argument_misses(gold, pred, schema, where, min_f1)
        return misses[0] if misses else None
    return (where, "wrong_type")


def _list_miss(gold: list, pred: list, schema: dict, where: str,
               min_f1: Optional[float] = None) -> Optional[tuple[str, str]]:
    items = schema.get("items", {})
    if len(gold) != len(pred):
        return (where, "wrong_length")
    if schema.get("uniqueItems"):
        return None if _multiset_match(gold, pred, items, where, min_f1) else (where, "wrong_items")
    for i, (g, p) in enumerate(zip(gold, pred)):
        miss = value_miss(g, p, items, f"{where}[{i}]", min_f1)
        if miss:
            # Same items in another order is worth telling apart from a wrong item.
            return (where, "wrong_order") if _multiset_match(gold, pred, items, where, min_f1) else miss
    return None


def _multiset_match(gold: list, pred: list, items: dict, where: str, min_f1: Optional[float] = None) -> bool:
    """A perfect matching between gold and predicted items."""
    ok = [[value_miss(g, p, items, where, min_f1) is None for p in pred] for g in gold]
    return len(max_matching(ok)) == len(gold)


def max_matching(ok: list[list[bool]]) -> list[tuple[int, int]]:
    """A maximum matching (i, j) between rows and columns where ok[i][j] (Kuhn's augmenting paths):
    with any_of values, equality is not transitive, so greedy pairing could miss a valid assignment."""
    width = len(ok[0]) if ok else 0
    owner: list[Optional[int]] = [None] * width

    def place(i: int, seen: set) -> bool:
        for j in range(width):
            if ok[i][j] and j not in seen:
                seen.add(j)
                if owner[j] is None or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(ok)):
        place(i, set())
    return sorted((i, j) for j, i in enumerate(owner) if i is not None)


def argument_misses(gold_args: dict, pred_args: dict, schema: dict, where: str = "",
                    min_f1: Optional[float] = None) -> list[tuple[str, str]]:
    """Every argument that does not match, as (path, kind), in schema order. Kinds: wrong_value,
    wrong_choice, wrong_type, wrong_length, wrong_items, wrong_order, empty_free_text, low_f1 (free
    text whose token F1 against every accepted gold text is under `min_f1`), missing /
    missing_vs_default (gold gives a value, the prediction omits it: without / with a default),
    unexpected / unexpected_vs_default (gold omits it, the prediction gives a non-default value)."""
    props = schema.get("properties", {})
    keys = list(props) + [k for k in gold_args if k not in props]
    keys += [k for k in pred_args if k not in props and k not in gold_args]
    misses = []
    for key in keys:
        sub = props.get(key, {})
        path = f"{where}.{key}" if where else key
        pred = pred_args.get(key)
        pred = OMITTED if pred is None else pred  # the parser lets null stand only where it means omitted
        first = None
        for g in alternatives(gold_args.get(key)):
            miss = _slot_miss(g, pred, sub, path, min_f1)
            if miss is None:
                first = None
                break
            first = first or miss
        if first:
            misses.append(first)
    return misses


def _slot_miss(gold: Any, pred: Any, schema: dict, path: str,
               min_f1: Optional[float] = None) -> Optional[tuple[str, str]]:
    default = schema.get("default", _NO_DEFAULT)
    default = _NO_DEFAULT if default is None else default  # "default": null is no default
    if gold is OMITTED and pred is OMITTED:
        return None
    if gold is OMITTED:
        if default is not _NO_DEFAULT and value_miss(default, pred, schema, path, min_f1) is None:
            return None
        return (path, "unexpected" if default is _NO_DEFAULT else "unexpected_vs_default")
    if pred is OMITTED:
        if default is not _NO_DEFAULT and value_miss(gold, default, schema, path, min_f1) is None:
            return None
        return (path, "missing" if default is _NO_DEFAULT else "missing_vs_default")
    return value_miss(gold, pred, schema, path, min_f1)


# ---------------------------------------------------------------------------------------------
# one case

@dataclass
class CaseScore:
    """How one output fared against its gold target. `gold_tool`/`pred_tool` are tool labels: the tool
    of one call, no_tool, "invalid", or several calls' sorted tool names joined by "+"."""

    gold_tool: str
    pred_tool: str  # a tool label, no_tool, or "invalid"
    valid: bool
    exact: bool
    args_compared: bool = False  # valid, same tool label, not no_tool
    args_match: bool = False
    reasons: list[str] = field(default_factory=list)  # empty when exact
    free_text_f1: list[tuple[str, float]] = field(default_factory=list)  # ("tool.arg", F1)
    parsed: dict = field(default_factory=dict)
    gold_calls: int = 0  # calls in the gold target (0 for no_tool)
    pred_calls: int = 0  # calls in a valid answer
    matched: int = 0  # predicted calls equal to a gold call (multiset matching)
    missing: int = 0  # gold calls with no predicted call of their tool left
    extra: int = 0  # predicted calls with no gold call of their tool left
    wrong: int = 0  # right tool, wrong arguments


def tool_label(calls: list[dict]) -> str:
    """One label for an answer's tools: the tool of one call, no_tool for none, several calls' tool
    names sorted and joined by "+" (order-free, like the matching)."""
    if not calls:
        return NO_TOOL
    return calls[0]["tool"] if len(calls) == 1 else "+".join(sorted(c["tool"] for c in calls))


def score_case(target, output: str, catalogue: Catalogue, parse=parse_tool_call,
               min_f1: Optional[float] = None) -> CaseScore:
    """Parse `output` against `catalogue` (with `parse`: an answer format's parser, default the JSON
    envelope's) and compare it with the gold `target` (one call, no_tool, or a list of calls). With
    `min_f1`, a free-text argument matches only at token F1 >= min_f1 against the gold (low_f1)."""
    result = parse(output, catalogue)
    gold_calls = calls_of(target)
    gold = tool_label(gold_calls)
    if result.kind == INVALID:
        return CaseScore(gold, INVALID, valid=False, exact=False, reasons=[f"invalid:{result.error}"],
                         parsed=result.to_dict(), gold_calls=len(gold_calls), missing=len(gold_calls))
    pred_calls = list(result.calls)
    pred = tool_label(pred_calls)
    score = CaseScore(gold, pred, valid=True, exact=False, parsed=result.to_dict(), gold_calls=len(gold_calls),
                      pred_calls=len(pred_calls))
    # Matched calls: same tool, arguments matching (a maximum matching); then, of the rest, same-tool
    # pairs are wrong calls (their argument misses are the reasons), the others missing / extra.
    misses = [[None if g["tool"] != p["tool"] else
               argument_misses(g.get("arguments", {}), p["arguments"], catalogue[g["tool"]].parameters, min_f1=min_f1)
               for p in pred_calls] for g in gold_calls]
    matched = max_matching([[m == [] for m in row] for row in misses])
    left_gold = [i for i in range(len(gold_calls)) if i not in {i for i, _ in matched}]
    left_pred = [j for j in range(len(pred_calls)) if j not in {j for _, j in matched}]
    wrong = [(left_gold[a], left_pred[b]) for a, b in
             max_matching([[misses[i][j] is not None for j in left_pred] for i in left_gold])]
    score.matched, score.wrong = len(matched), len(wrong)
    score.missing = len(left_gold) - len(wrong)
    score.extra = len(left_pred) - len(wrong)
    for i, j in matched + wrong:
        score.free_text_f1 += _free_text_f1(gold_calls[i], pred_calls[j], catalogue)
    if pred != gold:
        if len(gold_calls) <= 1 and len(pred_calls) <= 1 or not gold_calls or not pred_calls:
            score.reasons = ["false_call" if gold == NO_TOOL else "missed_call" if pred == NO_TOOL else "wrong_tool"]
        else:
            wrong_gold, wrong_pred = {i for i, _ in wrong}, {j for _, j in wrong}
            score.reasons = ([f"missing_call:{gold_calls[i]['tool']}" for i in left_gold if i not in wrong_gold]
                             + [f"extra_call:{pred_calls[j]['tool']}" for j in left_pred if j not in wrong_pred])
        return score
    if gold == NO_TOOL:
        score.exact = True
        return score
    score.args_compared = True
    score.args_match = score.exact = not wrong
    score.reasons = [f"argument:{gold_calls[i]['tool']}.{path}:{kind}" for i, j in sorted(wrong)
                     for path, kind in misses[i][j]]
    return score


def _free_text_f1(gold: dict, pred: dict, catalogue: Catalogue) -> list[tuple[str, float]]:
    """("tool.arg", token F1) of each free-text argument the gold call gives."""
    out = []
    for name, sub in catalogue[gold["tool"]].properties.items():
        if sub.get(FREE_TEXT_KEY) and gold.get("arguments", {}).get(name) is not None:
            pred_text = pred["arguments"].get(name, "")
            f1 = max((token_f1(g, pred_text) for g in alternatives(gold["arguments"][name]) if isinstance(g, str)),
                     default=0.0)
            out.append((f"{gold['tool']}.{name}", f1))
    return out


# ---------------------------------------------------------------------------------------------
# all cases

def summarize(scores: list[CaseScore], tool_names: Iterable[str] = ()) -> dict:
    """Rates, per-tool precision/recall, the confusion matrix and the reason histograms."""
    n = len(scores)
    valid = [s for s in scores if s.valid]
    compared = [s for s in scores if s.args_compared]
    gold_none = [s for s in scores if s.gold_tool == NO_TOOL]
    gold_tool = [s for s in scores if s.gold_tool != NO_TOOL]
    f1s = [f for s in scores for _, f in s.free_text_f1]
    metrics = {
        "valid_tool_call_rate": rate(len(valid), n),
        "tool_name_accuracy": rate(sum(s.pred_tool == s.gold_tool for s in valid), n),
        "argument_match_accuracy": rate(sum(s.args_match for s in compared), len(compared)),
        "false_tool_call_rate": rate(sum(s.valid and s.pred_tool != NO_TOOL for s in gold_none), len(gold_none)),
        "missed_call_rate": rate(sum(s.pred_tool == NO_TOOL for s in gold_tool), len(gold_tool)),
        "exact_match_rate": rate(sum(s.exact for s in scores), n),
        "free_text_f1": {"value": sum(f1s) / len(f1s) if f1s else None, "count": len(f1s)},
    }
    per_arg: dict[str, list[float]] = {}
    for s in scores:
        for key, f in s.free_text_f1:
            per_arg.setdefault(key, []).append(f)

    labels = list(dict.fromkeys([*tool_names, *(s.gold_tool for s in scores),
                                 *(s.pred_tool for s in scores if s.pred_tool != INVALID)]))
    labels = [x for x in labels if x != NO_TOOL] + [NO_TOOL]
    columns = labels + [INVALID]
    cells = Counter((s.gold_tool, s.pred_tool) for s in scores)
    matrix = [[cells[(g, p)] for p in columns] for g in labels]
    per_tool = {}
    for label in labels:
        tp = cells[(label, label)]
        gold_n = sum(s.gold_tool == label for s in scores)
        pred_n = sum(s.pred_tool == label for s in scores)
        if gold_n == 0 and pred_n == 0:
            continue
        per_tool[label] = {"gold": gold_n, "predicted": pred_n, "correct": tp,
                           "precision": tp / pred_n if pred_n else None, "recall": tp / gold_n if gold_n else None,
                           "exact": sum(s.exact for s in scores if s.gold_tool == label)}
    reasons = Counter(r for s in scores for r in s.reasons)
    kinds = Counter(reason_kind(r) for s in scores for r in s.reasons)
    return {
        "n": n,
        "metrics": metrics,
        "calls": call_counts(scores),
        "free_text_f1_by_argument": {k: {"mean": sum(v) / len(v), "count": len(v)} for k, v in per_arg.items()},
        "per_tool": per_tool,
        "confusion": {"rows": labels, "columns": columns, "matrix": matrix},
        "reasons": dict(reasons.most_common()),
        "reason_kinds": dict(kinds.most_common()),
    }


def call_counts(scores: list[CaseScore]) -> dict:
    """The several-call view: totals of gold, predicted (valid answers), matched, missing, extra and
    wrong calls; recall (matched / gold), precision (matched / predicted) and the missing and wrong
    shares of gold calls, the extra share of predicted calls; how many cases miss, add or get wrong
    a call; exact match on the cases whose gold has several calls."""
    total = {k: sum(getattr(s, k) for s in scores) for k in ("gold_calls", "pred_calls", "matched", "missing",
                                                             "extra", "wrong")}
    several = [s for s in scores if s.gold_calls > 1]
    return {
        **total,
        "call_recall": rate(total["matched"], total["gold_calls"]),
        "call_precision": rate(total["matched"], total["pred_calls"]),
        "missing_call_rate": rate(total["missing"], total["gold_calls"]),
        "wrong_call_rate": rate(total["wrong"], total["gold_calls"]),
        "extra_call_rate": rate(total["extra"], total["pred_calls"]),
        "cases_with_missing": sum(s.missing > 0 for s in scores),
        "cases_with_extra": sum(s.extra > 0 for s in scores),
        "cases_with_wrong": sum(s.wrong > 0 for s in scores),
        "several_call_cases": len(several),
        "several_call_exact": rate(sum(s.exact for s in several), len(several)),
        "several_call_answers": sum(s.pred_calls > 1 for s in scores),
    }


def reason_kind(reason: str) -> str:
    """"argument:set_temperature.area:wrong_items" -> "argument:wrong_items", "missing_call:lock_doors"
    -> "missing_call"; others unchanged."""
    if reason.startswith("argument:"):
        return "argument:" + reason.rsplit(":", 1)[1]
    if reason.startswith(("missing_call:", "extra_call:")):
        return reason.split(":", 1)[0]
    return reason


# ---------------------------------------------------------------------------------------------
# thresholds and comparison

def metric_value(metrics: dict, name: str) -> Optional[float]:
    return metrics[name]["value"]


def check_thresholds(metrics: dict, minimum: dict[str, float], maximum: dict[str, float]) -> list[str]:
    """One line per missed threshold; a metric with no cases (null) misses any threshold."""
    misses = []
    for bound, limits in (("min", minimum), ("max", maximum)):
        for name, limit in limits.items():
            value = metric_value(metrics, name)
            if value is None:
                misses.append(f"{name} has no cases to compute it from (need {bound} {limit:g})")
            elif (bound == "min" and value < limit) or (bound == "max" and value > limit):
                word = "below the minimum" if bound == "min" else "above the maximum"
                misses.append(f"{name} = {value:.4f} is {word} {limit:g}")
    return misses


def compare_metrics(old: dict, new: dict) -> list[tuple[str, Optional[float], Optional[float], Optional[float]]]:
    """(metric, old value, new value, change) for every metric, in METRICS order."""
    rows = []
    for name in METRICS:
        a = (old.get(name) or {}).get("value")
        b = (new.get(name) or {}).get("value")
        rows.append((name, a, b, b - a if a is not None and b is not None else None))
    return rows
