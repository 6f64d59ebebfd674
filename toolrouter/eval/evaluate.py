"""`toolrouter eval`: gold file -> predictions -> metrics -> report + exit code (0 ok, 1 a threshold
missed, 2 bad input). The numbers are defined in toolrouter/metrics.py and docs/eval.md.

    # score outputs that came from anywhere (JSONL {"id"?, "output"}), gate on thresholds
    toolrouter eval --catalogue support_router --gold evals/support_router.jsonl \\
        --predictions preds.jsonl --min exact_match_rate=0.9 --max false_tool_call_rate=0.05
    # generate with a trained run (its own catalogue snapshot and prompt mode), write RUN/eval.json
    toolrouter eval --run runs/support_router_tiny --split test
    # free text (reasons, notes) counts as matched only at token F1 >= 0.5 against the gold text
    toolrouter eval --run runs/support_router_tiny --free-text-min-f1 0.5
    # BFCL: per-case tools, answers from possible_answer/ beside the file; --match bfcl = BFCL's checker
    toolrouter eval --bfcl BFCL_v4_live_multiple.json --model RUN_OR_HUB_ID --mode json --match bfcl

Every input problem (a missing file, a malformed line, a gold target the catalogue itself refuses,
predictions that don't line up) is collected and reported at once, with file and line.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from toolrouter.core.catalogue import MODES, Catalogue, catalogue_from_openai, load_catalogue
from toolrouter.eval.metrics import (METRICS, check_thresholds, compare_metrics, gives_free_text, pick_alternative,
                                     score_case, summarize)
from toolrouter.errors import ToolrouterError
from toolrouter.core.schema import FREE_TEXT_KEY, NO_TOOL
from toolrouter.formats import calls_of
from toolrouter.formats.parse import MAX_CALLS, format_call, parse_tool_call, read_envelope
from toolrouter.io import atomic_write, output_problems, read_json, read_jsonl, read_run, read_yaml, write_json

GOLD_KEYS = {"id", "prompt", "messages", "target", "tools", "meta", "free_text_min_f1"}
ROLES = ("user", "assistant", "tool")


@dataclass
class Case:
    """One gold case, validated: the request, its target, and the catalogue it is scored against."""

    id: str
    where: str  # FILE:LINE
    prompt: Optional[str]
    messages: Optional[list[dict]]
    target: dict
    catalogue: Catalogue  # the --catalogue/run one, or the case's own "tools"
    bfcl: Optional[dict] = None  # a BFCL entry: category, function, ground_truth, schema_break (eval/bfcl.py)
    meta: Optional[dict] = None  # the gold row's free-form meta (e.g. {"kind": "follow_up"}): --by groups on it
    free_text_min_f1: Optional[float] = None  # the case's own minimum token F1 for free text (over the run's)

    def conversation(self, mode: str, fmt=None) -> list[dict]:
        """The messages the model sees: our system prompt (the answer format's, followed by the case's
        own system message, if it starts with one), then the request (or earlier turns)."""
        turns = self.messages if self.messages is not None else [{"role": "user", "content": self.prompt}]
        if fmt is not None and self.messages is not None:  # earlier answers as the format writes them
            from toolrouter.formats.history import format_history

            turns = format_history(turns, fmt, self.catalogue)
        system = fmt.system_prompt(self.catalogue, mode) if fmt is not None else self.catalogue.render(mode)
        if turns[0]["role"] == "system":
            system, turns = system + "\n\n" + turns[0]["content"], turns[1:]
        return [{"role": "system", "content": system}, *turns]


def _fail(problems: list[str], what: str = "the input") -> None:
    if problems:  # all of them: fixing a file one error per run is the thing to avoid
        raise ToolrouterError(f"{len(problems)} problem(s) in {what}:\n" + "\n".join(f"  - {p}" for p in problems))


# ---------------------------------------------------------------------------------------------
# reading inputs

def _any_of_problems(value: Any, path: str) -> tuple[list[str], int]:
    """Malformed any_of nodes, and the largest number of alternatives anywhere."""
    if isinstance(value, dict) and "any_of" in value:
        if set(value) != {"any_of"} or not isinstance(value["any_of"], list) or not value["any_of"]:
            return [f"{path}: write several accepted values as {{\"any_of\": [v1, v2, ...]}} (a non-empty list, "
                    "no other keys)"], 1
        width, problems = len(value["any_of"]), []
        for v in value["any_of"]:
            p, w = _any_of_problems(v, path)
            problems, width = problems + p, max(width, w)
        return problems, width
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    problems, width = [], 1
    for key, sub in children:
        p, w = _any_of_problems(sub, f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]")
        problems, width = problems + p, max(width, w)
    return problems, width


def target_problems(target: Any, catalogue: Catalogue) -> list[str]:
    """Why a gold target is not a valid answer for `catalogue` (empty when it is). The target is
    checked the way a model output is: parse_tool_call of its canonical form, once per any_of
    alternative, so a gold set cannot ask for something the parser would refuse. A list target is
    2..MAX_CALLS calls (one call is written as the bare object; no_tool never in a list), each
    checked the same way."""
    if isinstance(target, list):
        if not 2 <= len(target) <= MAX_CALLS:
            return [f"target: a list of calls has 2 to {MAX_CALLS} calls, this one {len(target)}; write one call as "
                    'the object itself and no call as {"tool": "no_tool", "reason": "..."}']
        for i, call in enumerate(target):
            if isinstance(call, dict) and call.get("tool") == NO_TOOL:
                return [f"target[{i}]: no_tool cannot stand in a list of calls; a target calls tools or answers "
                        "no_tool alone"]
            problems = target_problems(call, catalogue)
            if problems:
                return [f"target[{i}]" + problems[0].removeprefix("target")]  # every problem starts "target"
        return []
    envelope = read_envelope(target, catalogue)  # the parser's own check of {"tool", "arguments" | "reason"}
    if envelope.error == "unknown_tool":
        return [f"target tool {envelope.tool!r} is not in catalogue {catalogue.name} ({', '.join(catalogue.names)})"]
    if envelope.kind == "invalid":
        return [f"target: {envelope.message}"]
    if envelope.kind == "no_tool":
        return []
    tool = envelope.tool
    problems, width = _any_of_problems(target["arguments"], "arguments")
    if problems:
        return problems
    for k in range(width):
        result = parse_tool_call(format_call(tool, pick_alternative(target["arguments"], k), catalogue), catalogue)
        if result.kind != "call":
            which = f" (any_of alternative {k + 1})" if width > 1 else ""
            return [f"target is not a valid call for catalogue {catalogue.name}{which}: "
                    f"{result.error}: {result.message}"]
    return []


def cases_from_records(records: list[tuple[str, Any]], catalogue: Optional[Catalogue],
                       tools_loader: Callable[[list, str], Catalogue], problems: list[str]) -> list[Case]:
    """Validate gold records ((FILE:LINE, value) pairs) into Cases; problems are appended."""
    cases, seen_ids, tool_cache = [], {}, {}
    for where, row in records:
        if not isinstance(row, dict):
            problems.append(f"{where}: a gold case must be a JSON object")
            continue
        bad = []
        unknown = set(row) - GOLD_KEYS
        if unknown:
            bad.append(f"unknown key(s) {sorted(unknown)}; a gold case has id, prompt or messages, target, tools "
                       "(and optionally meta, free_text_min_f1)")
        case_id = row.get("id", where)
        if "id" in row:
            if not isinstance(case_id, str) or not case_id:
                bad.append('"id" must be a non-empty string')
            elif case_id in seen_ids:
                bad.append(f"duplicate id {case_id!r} (first at {seen_ids[case_id]})")
            else:
                seen_ids[case_id] = where
        prompt, messages = row.get("prompt"), row.get("messages")
        if ("prompt" in row) == ("messages" in row):
            bad.append('give exactly one of "prompt" (the request) or "messages" (earlier turns + the request)')
        elif "prompt" in row and (not isinstance(prompt, str) or not prompt.strip()):
            bad.append('"prompt" must be a non-empty string')
        elif "messages" in row:
            bad += _messages_problems(messages)
        case_catalogue = catalogue
        if "tools" in row:
            key = json.dumps(row["tools"], sort_keys=True)
            if key not in tool_cache:
                try:
                    tool_cache[key] = tools_loader(row["tools"], f"{where} tools")
                except ToolrouterError as e:
                    tool_cache[key] = e
            if isinstance(tool_cache[key], ToolrouterError):
                bad.append(str(tool_cache[key]).replace("\n", "\n    "))
                case_catalogue = None
            else:
                case_catalogue = tool_cache[key]
        elif catalogue is None:
            bad.append('no catalogue to score against: pass --catalogue (or --run), or give the case "tools"')
        if "target" not in row:
            bad.append('missing "target"')
        elif case_catalogue is not None:
            bad += target_problems(row["target"], case_catalogue)
        if "free_text_min_f1" in row and not bad:
            bad += _min_f1_problems(row["free_text_min_f1"], row["target"], case_catalogue)
        if bad:
            problems += [f"{where}: {b}" for b in bad]
            continue
        cases.append(Case(id=str(case_id), where=where, prompt=prompt, messages=messages, target=row["target"],
                          catalogue=case_catalogue, meta=row.get("meta") if isinstance(row.get("meta"), dict) else None,
                          free_text_min_f1=row.get("free_text_min_f1")))
    return cases


def _is_min_f1(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0  # NaN fails


def _min_f1_problems(value: Any, target: Any, catalogue: Catalogue) -> list[str]:
    """A gold case's own free_text_min_f1: a number from 0 to 1, on a target that gives free text."""
    if not _is_min_f1(value):
        return [f'"free_text_min_f1" is the least token F1 (0 to 1) at which this case\'s free-text arguments '
                f'count as matched, e.g. "free_text_min_f1": 0.5; got {json.dumps(value)}']
    if not any(gives_free_text(c.get("arguments", {}), catalogue[c["tool"]].parameters) for c in calls_of(target)):
        free = [f"{t}.{k}" for t in catalogue.names for k, sub in catalogue[t].properties.items()
                if sub.get(FREE_TEXT_KEY)]
        return ['"free_text_min_f1" applies to free-text arguments and this target gives none; remove it '
                f"(free-text arguments in catalogue {catalogue.name}: {', '.join(free) or 'none'})"]
    return []


def _messages_problems(messages: Any) -> list[str]:
    if not isinstance(messages, list) or not messages:
        return ['"messages" must be a non-empty list of {"role", "content"}']
    for i, m in enumerate(messages):
        roles = ("system", *ROLES) if i == 0 else ROLES
        if not isinstance(m, dict) or m.get("role") not in roles or not isinstance(m.get("content"), str):
            return [f"messages[{i}]: expected {{\"role\": one of {'/'.join(roles)}, \"content\": str}} "
                    "(only the first message may be a system one: it follows the catalogue's system prompt)"]
    if messages[-1]["role"] != "user":
        return ['"messages" must end with the user turn to answer']
    return []


def load_gold(path: Path, catalogue: Optional[Catalogue], problems: list[str],
              tools_loader: Callable[[list, str], Catalogue] = catalogue_from_openai) -> list[Case]:
    rows = read_jsonl(path, problems, what="gold")
    if not rows and not problems:
        problems.append(f"gold file {path} has no cases")
    return cases_from_records([(f"{path}:{n}", row) for n, row in rows], catalogue, tools_loader, problems)


def load_predictions(path: Path, cases: list[Case], problems: list[str], skipped_ids=()) -> list[str]:
    """The output text for each case: matched by id when every prediction has one, else by line.
    Predictions for `skipped_ids` (gold entries that are not scored) are allowed and ignored."""
    rows = read_jsonl(path, problems, what="predictions")
    entries = []
    for n, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("output"), str):
            problems.append(f'{path}:{n}: expected {{"id"?: str, "output": str}}')
        elif "id" in row and not isinstance(row["id"], str):
            problems.append(f'{path}:{n}: "id" must be a string')
        else:
            entries.append((n, row.get("id"), row["output"]))
    if problems or not cases:
        return []
    with_id = [e for e in entries if e[1] is not None]
    if with_id and len(with_id) != len(entries):
        lines = [str(n) for n, i, _ in entries if i is None]
        problems.append(f"{path}: some predictions have an id and some don't (no id on line(s) "
                        f"{', '.join(lines[:20])}); give every line an id, or none to match by line")
        return []
    if not with_id:
        if len(entries) != len(cases):
            problems.append(f"{path}: {len(entries)} predictions for {len(cases)} gold cases; without ids they are "
                            "matched line by line, so the counts must be equal")
            return []
        return [e[2] for e in entries]
    by_id: dict[str, str] = {}
    for n, pid, output in entries:
        if pid in by_id:
            problems.append(f"{path}:{n}: duplicate prediction id {pid!r}")
        by_id[pid] = output
    gold_ids = {c.id for c in cases}
    missing = [c.id for c in cases if c.id not in by_id]
    extra = [pid for pid in by_id if pid not in gold_ids and pid not in skipped_ids]
    if missing:
        problems.append(f"{path}: no prediction for {len(missing)} gold case(s): {', '.join(missing[:20])}"
                        + (" ..." if len(missing) > 20 else ""))
    if extra:
        problems.append(f"{path}: {len(extra)} prediction id(s) not in the gold file: {', '.join(extra[:20])}"
                        + (" ..." if len(extra) > 20 else ""))
    return [] if problems else [by_id[c.id] for c in cases]


def parse_thresholds(items: list[str], flag: str, problems: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            problems.append(f"{flag} {item!r}: expected METRIC=VALUE, e.g. {flag} exact_match_rate=0.9")
        elif name not in METRICS:
            problems.append(f"{flag} {item!r}: unknown metric {name!r}; known: {', '.join(METRICS)}")
        else:
            try:
                out[name] = float(value)
            except ValueError:
                problems.append(f"{flag} {item!r}: {value!r} is not a number")
                continue
            if not 0.0 <= out[name] <= 1.0:  # NaN too: every metric is a rate
                problems.append(f"{flag} {item!r}: a threshold is a rate from 0 to 1, e.g. {name}=0.9")
                del out[name]
    return out


# ---------------------------------------------------------------------------------------------
# runs

def eval_settings(run_dir: Path, run: dict) -> dict:
    """A run's eval settings: run.json["eval"], else the saved recipe.yaml's eval section."""
    settings = run.get("eval")
    if settings is None and (run_dir / "recipe.yaml").is_file():
        settings = (read_yaml(run_dir / "recipe.yaml") or {}).get("eval")
    return settings or {}


def _resolve_gold(text: str, run_dir: Path) -> Path:
    path = Path(text)
    if path.is_absolute() or path.exists() or not (run_dir / path).exists():
        return path
    return run_dir / path


def predict(model_path: str, cases: list[Case], mode: str, batch_size: int, max_new_tokens: int,
            constrained: bool, loaded=None, copy: bool = False) -> list[str]:
    """Generate one answer per case with the model at `model_path` (greedy, batched), rendering
    each prompt exactly as training did: the case's catalogue in `mode`, in the run's answer format.
    `copy` (with `constrained`): copied arguments only as spans of the request (toolrouter.formats.copy)."""
    from toolrouter.infer.generate import generate_answers
    from toolrouter.infer.loading import load_for_inference

    loaded = loaded or load_for_inference(model_path)
    fmt = loaded.format
    outputs: list[Optional[str]] = [None] * len(cases)
    groups: dict[int, list[int]] = {}  # cases sharing a catalogue share a grammar (constrained)
    for i, case in enumerate(cases):
        groups.setdefault(id(case.catalogue), []).append(i)
    for indices in groups.values():
        catalogue = cases[indices[0]].catalogue
        tools = fmt.template_tools(catalogue, mode)
        conversations = [cases[i].conversation(mode, fmt) for i in indices]

        def generate(convs, grammars=None, catalogue=catalogue, tools=tools):
            return generate_answers(loaded.model, loaded.tokenizer, convs, tools=[tools] * len(convs) if tools else None,
                                    max_new_tokens=max_new_tokens, batch_size=batch_size, catalogue=catalogue,
                                    constrained=constrained, progress=True, fmt=fmt, grammars=grammars)

        if copy and constrained:
            from toolrouter.formats.copy import copy_decode
            from toolrouter.infer.generate import _vocab_size, stop_token_ids

            answers = copy_decode(generate, catalogue, conversations, loaded.tokenizer,
                                  _vocab_size(loaded.model, loaded.tokenizer),
                                  stop_token_ids(loaded.tokenizer, loaded.model), fmt)
        else:
            answers = generate(conversations)
        from toolrouter.formats.copy import reads_lowercase, restore_case

        if (copy and constrained) or reads_lowercase(loaded.tokenizer):  # a lower-cased copy gets the request's case back

            answers = restore_case(answers, conversations, catalogue, fmt)
        for i, answer in zip(indices, answers):
            outputs[i] = answer
    return outputs


# ---------------------------------------------------------------------------------------------
# the report

def evaluate(cases: list[Case], outputs: list[str], tool_names: list[str] = (), match: str = "strict",
             parse=parse_tool_call, by: Optional[str] = None, free_text_min_f1: Optional[float] = None) -> dict:
    """Score every case and build the report dict (metrics, per tool, confusion, reasons, failures);
    `parse` is the answer format's parser (default: the JSON envelope's). BFCL cases go through
    eval/bfcl.py's score_bfcl: `match` "bfcl" applies BFCL's AST checker. `free_text_min_f1`: the
    least token F1 at which free text matches, for the cases that do not set their own."""
    if any(case.bfcl for case in cases):
        from toolrouter.eval.bfcl import score_bfcl
    min_f1 = [free_text_min_f1 if case.free_text_min_f1 is None else case.free_text_min_f1 for case in cases]
    scores = [score_bfcl(case, output, match) if case.bfcl else
              score_case(case.target, output, case.catalogue, parse, min_f1=m)
              for case, output, m in zip(cases, outputs, min_f1)]
    report = summarize(scores, tool_names)
    if by:  # the rates again, per value of a gold meta key (cases without it: "(none)")
        groups: dict[str, list] = {}
        for case, score in zip(cases, scores):
            groups.setdefault(str((case.meta or {}).get(by, "(none)")), []).append(score)
        report["by"] = {"key": f"meta.{by}", "groups": {value: {"cases": len(group), "metrics": summarize(group)["metrics"]}
                                                         for value, group in sorted(groups.items())}}
    report["failures"] = [
        {"id": case.id, **({"prompt": case.prompt} if case.messages is None else {"messages": case.messages}),
         "output": output, "gold": case.target, **({"bfcl_ground_truth": case.bfcl["ground_truth"]} if case.bfcl else {}),
         "predicted": score.parsed,
         "reason": score.reasons[0], "reasons": score.reasons,
         **({"free_text_min_f1": m, "free_text_f1": [{"argument": a, "f1": f} for a, f in score.free_text_f1]}
            if m is not None else {})}
        for case, output, score, m in zip(cases, outputs, scores, min_f1) if not score.exact]
    return report


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_report(report: dict, console) -> None:
    from rich.table import Table

    decoding = f", {report['decoding']} decoding" if report.get("decoding") else ""
    table = Table(title=f"toolrouter eval: {report['n']} cases{decoding}")
    for col in ("metric", "value", "count", "95% CI"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, m in report["metrics"].items():
        if name == "free_text_f1":
            table.add_row(name, _fmt(m["value"]), f"{m['count']} args", "")
        else:
            ci = "" if m["ci95"] is None else f"{m['ci95'][0]:.3f}-{m['ci95'][1]:.3f}"
            table.add_row(name, _fmt(m["value"]), f"{m['numerator']}/{m['denominator']}", ci)
    floor = _min_f1_line(report)
    if floor:
        table.caption = floor
    console.print(table)
    if report.get("free_text_f1_by_argument"):
        free = Table(title="free-text arguments: token F1 against gold")
        for col in ("argument", "mean F1", "count"):
            free.add_column(col, justify="left" if col == "argument" else "right")
        for name, a in sorted(report["free_text_f1_by_argument"].items()):
            free.add_row(name, _fmt(a["mean"]), str(a["count"]))
        console.print(free)
    tools = Table(title="per tool")
    for col in ("tool", "gold", "predicted", "precision", "recall", "exact"):
        tools.add_column(col, justify="left" if col == "tool" else "right")
    rows = sorted(report["per_tool"].items(), key=lambda kv: -kv[1]["gold"])
    for name, t in rows[:40]:
        tools.add_row(name, str(t["gold"]), str(t["predicted"]), _fmt(t["precision"]), _fmt(t["recall"]),
                      f"{t['exact']}/{t['gold']}")
    if len(rows) > 40:
        tools.caption = f"{len(rows) - 40} more tools in the JSON report"
    console.print(tools)
    calls = report.get("calls") or {}
    if calls.get("several_call_cases") or calls.get("several_call_answers"):  # only where several calls occur
        table = Table(title=f"calls (order-free): {calls['gold_calls']} gold, {calls['pred_calls']} predicted")
        for col in ("", "count", "rate"):
            table.add_column(col, justify="left" if not col else "right")
        table.add_row("matched", str(calls["matched"]), f"recall {_fmt(calls['call_recall']['value'])}, "
                                                        f"precision {_fmt(calls['call_precision']['value'])}")
        for kind in ("missing", "wrong", "extra"):
            table.add_row(kind, str(calls[kind]), _fmt(calls[f"{kind}_call_rate"]["value"]))
        ex = calls["several_call_exact"]
        table.caption = f"exact on the {calls['several_call_cases']} several-call cases: {_fmt(ex['value'])}"
        console.print(table)
    if report["reasons"]:
        reasons = Table(title=f"top failure reasons ({len(report['failures'])} failing cases)")
        reasons.add_column("reason")
        reasons.add_column("count", justify="right")
        for reason, count in list(report["reasons"].items())[:10]:
            reasons.add_row(reason, str(count))
        console.print(reasons)


def _min_f1_line(report: dict) -> Optional[str]:
    """Which minimum token F1 free text was held to, in words; None when none was (present is enough)."""
    floor = report.get("free_text_min_f1") or {}
    if floor.get("value") is None and not floor.get("cases_with_own"):
        return None
    line = (f"free text matches at token F1 >= {floor['value']:g} ({floor['source']})" if floor.get("value") is not None
            else "free text matches when present")
    if floor.get("cases_with_own"):
        line += f"; {floor['cases_with_own']} gold case(s) set their own"
    return line


def print_by(by: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"per {by['key']}")
    for col in ("value", "cases", "exact", "tool name", "arguments", "false call", "missed call"):
        table.add_column(col, justify="left" if col == "value" else "right")
    for value, group in by["groups"].items():
        m = group["metrics"]
        table.add_row(value, str(group["cases"]), *(_fmt(m[k]["value"]) for k in (
            "exact_match_rate", "tool_name_accuracy", "argument_match_accuracy", "false_tool_call_rate",
            "missed_call_rate")))
    console.print(table)


def print_compare(old: dict, new: dict, console) -> None:
    from rich.table import Table

    table = Table(title="change against the old report")
    for col in ("metric", "old", "new", "change"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, a, b, delta in compare_metrics(old, new):
        table.add_row(name, _fmt(a), _fmt(b), "n/a" if delta is None else f"{delta:+.3f}")
    console.print(table)


def plot_confusion(confusion: dict, path: Path, max_labels: int = 30) -> None:
    """The confusion matrix (gold rows, predicted columns) as a PNG. With many tools (BFCL) the
    rarest rows/columns are folded into "(other)" so the picture stays readable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols, matrix = confusion["rows"], confusion["columns"], confusion["matrix"]
    if len(rows) > max_labels:
        keep = sorted(range(len(rows) - 1), key=lambda i: -sum(matrix[i]))[:max_labels - 2]
        keep = sorted(keep) + [len(rows) - 1]  # no_tool stays
        keep_names = [rows[i] for i in keep]
        col_index = [cols.index(name) for name in keep_names] + [len(cols) - 1]
        other_rows = [i for i in range(len(rows)) if i not in keep]
        other_cols = [j for j in range(len(cols)) if j not in col_index]

        def fold(row):
            return [row[j] for j in col_index[:-1]] + [sum(row[j] for j in other_cols), row[-1]]

        matrix = [fold(matrix[i]) for i in keep] + [fold([sum(matrix[i][j] for i in other_rows)
                                                         for j in range(len(cols))])]
        rows = keep_names + ["(other)"]
        cols = keep_names + ["(other)", cols[-1]]
    size = max(4.0, 0.45 * len(cols) + 2)
    fig, ax = plt.subplots(figsize=(size, size * len(rows) / len(cols) + 1))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    peak = max((v for r in matrix for v in r), default=0) or 1
    for i, r in enumerate(matrix):
        for j, v in enumerate(r):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if v > peak / 2 else "black")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100), suffix=".png")
    plt.close(fig)


def metrics_markdown(report: dict, gold: str) -> str:
    lines = [f"Scored on `{gold}` ({report['n']} cases) by `toolrouter eval`.", "",
             "| metric | value | count | 95% CI |", "|---|---:|---:|---:|"]
    for name, m in report["metrics"].items():
        if name == "free_text_f1":
            lines.append(f"| {name} | {_fmt(m['value'])} | {m['count']} args | |")
        else:
            ci = "" if m["ci95"] is None else f"{m['ci95'][0]:.3f}-{m['ci95'][1]:.3f}"
            lines.append(f"| {name} | {_fmt(m['value'])} | {m['numerator']}/{m['denominator']} | {ci} |")
    floor = _min_f1_line(report)
    if floor:
        lines += ["", floor[0].upper() + floor[1:] + "."]
    return "\n".join(lines)


def fill_model_card(readme: Path, report: dict, gold: str) -> bool:
    """Replace the text between the metrics markers of a model card; False when it has none."""
    from toolrouter.train.card import fill_metrics

    return fill_metrics(readme, report, gold, metrics_markdown(report, gold))


# ---------------------------------------------------------------------------------------------
# the command

def add_arguments(p: argparse.ArgumentParser) -> None:
    """`toolrouter eval`'s options."""
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = f"exit codes: 0 ok, 1 a threshold missed, 2 bad input. Metrics: {', '.join(METRICS)}."
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a run dir, an adapter dir or a full model dir to generate with")
    src.add_argument("--predictions", help='JSONL of {"id"?: str, "output": str}: outputs from anywhere')
    src.add_argument("--run", help="a run dir: --model RUN with its catalogue, mode and eval settings; "
                                   "writes RUN/eval.json and the model card's metrics")
    p.add_argument("--catalogue", help="built-in name or path (default: the run's snapshot)")
    p.add_argument("--gold", help="gold JSONL (default with --run: the recipe's eval gold)")
    p.add_argument("--split", choices=("test",), help="with a run: score RUN/data/test.gold.jsonl")
    p.add_argument("--bfcl", help="a BFCL question file instead of --gold (cases carry their own tools)")
    p.add_argument("--bfcl-answers", help="the BFCL possible_answer file (default: possible_answer/<same name> "
                                          "beside the questions; irrelevance needs none)")
    p.add_argument("--match", choices=("strict", "bfcl"), default="strict",
                   help="strict: toolrouter's rules (docs/eval.md); bfcl: BFCL's AST checker, case by case (--bfcl)")
    p.add_argument("--mode", choices=MODES, help="prompt mode (default: the run's, else compact)")
    p.add_argument("--report-json", help="write the full report here (+ a confusion-matrix PNG beside it)")
    p.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE", help="fail (exit 1) below")
    p.add_argument("--max", action="append", default=[], metavar="METRIC=VALUE", help="fail (exit 1) above")
    p.add_argument("--compare", help="an earlier --report-json: print the change of every metric")
    p.add_argument("--free-text-min-f1", metavar="F1", help="free text (x-free-text arguments) matches only at token "
                   "F1 >= this against the gold text, 0 to 1 (default: the run's eval.free_text_min_f1, else "
                   "present and non-empty is enough); a gold case's own free_text_min_f1 wins")
    p.add_argument("--constrained", action="store_true", help="grammar-constrained decoding")
    p.add_argument("--by", metavar="meta.KEY", help="also report the metrics per value of a gold case's meta key "
                                                    "(e.g. meta.kind of evals/car_control_multiturn.jsonl)")
    p.add_argument("--copy", action="store_true", help="constrained, and copied arguments (free text, names, "
                   "IDs) only as spans of the request (toolrouter.formats.copy); with --run, --constrained does this "
                   "too where the recipe says eval.copy_spans: true")
    p.add_argument("--no-copy", action="store_true", help="with --constrained: the catalogue grammar alone, even "
                   "where the run's recipe says eval.copy_spans: true")
    p.add_argument("--batch-size", type=int, help="generation batch size (default: the run's, else 32)")
    p.add_argument("--max-new-tokens", type=int, help="default: the run's, else 128")


@dataclass
class Setup:
    """What the flags and the run dir say: where the model, catalogue, mode, gold and thresholds are."""

    run_dir: Optional[Path]
    run: dict
    settings: dict  # the run's eval settings (--run only): gold, min, max, batch_size, max_new_tokens
    catalogue: Optional[Catalogue]
    mode: str
    gold: Optional[str]
    minimum: dict
    maximum: dict
    free_text_min_f1: Optional[float] = None  # for the cases that do not set their own
    free_text_min_f1_from: Optional[str] = None  # where it came from: --free-text-min-f1 or the run's eval settings


def resolve(args: argparse.Namespace, problems: list[str]) -> Setup:
    """A run dir's run.json/catalogue.json/eval settings first, flags over them (with a warning
    where a flag contradicts how the run was trained)."""
    run_dir = Path(args.run or args.model) if (args.run or args.model) else None
    run, settings, snapshot = {}, {}, None
    if args.run or (run_dir and (run_dir / "run.json").is_file()):
        info, snapshot = read_run(run_dir)  # checks the catalogue snapshot against run.json
        run = info.model_dump()
        # only --run takes the recipe's gold and thresholds; --model gets what it asks for
        settings = eval_settings(run_dir, run) if args.run else {}
    elif run_dir and (run_dir / "catalogue.json").is_file():
        snapshot = load_catalogue(run_dir / "catalogue.json")
    catalogue = load_catalogue(args.catalogue) if args.catalogue else None
    if snapshot is not None:
        if catalogue is not None and catalogue.fingerprint() != snapshot.fingerprint():
            print(f"warning: --catalogue {args.catalogue} differs from the catalogue {run_dir} was trained on; "
                  "prompts are rendered from --catalogue", file=sys.stderr)
        catalogue = catalogue or snapshot
    mode = args.mode or run.get("mode") or "compact"
    if args.mode and run.get("mode") and args.mode != run["mode"]:
        print(f"warning: --mode {args.mode} but {run_dir} was trained with {run['mode']}", file=sys.stderr)

    gold = args.gold
    if args.split:
        if not run:
            problems.append("--split needs --run (or --model RUN_DIR)")
        else:
            gold = str(run_dir / (run.get("data_dir") or "data") / f"{args.split}.gold.jsonl")
    if gold is None and args.bfcl is None and settings.get("gold"):
        gold = str(_resolve_gold(settings["gold"], run_dir))
    if args.bfcl_answers and not args.bfcl:
        problems.append("--bfcl-answers goes with --bfcl QUESTIONS")
    if args.match == "bfcl" and not args.bfcl:
        problems.append("--match bfcl reproduces BFCL's checker on BFCL files: give --bfcl QUESTIONS")
    if args.bfcl and mode == "baked" and not args.predictions:
        problems.append("--bfcl offers each case its own functions, but mode 'baked' shows none: pass --mode json "
                        "(or compact)")
    if (gold is None) == (args.bfcl is None):
        problems.append("give one gold source: --gold FILE or --bfcl QUESTIONS (or --run with a recipe eval gold, "
                        "or --split test)")
    limits = {}
    for bound in ("min", "max"):
        from_run = settings.get(bound) or {}
        if not isinstance(from_run, dict):
            problems.append(f"{run_dir}: eval.{bound} must map metric names to numbers")
            from_run = {}
        from_run = parse_thresholds([f"{k}={v}" for k, v in from_run.items()], f"{run_dir} eval.{bound}", problems)
        limits[bound] = {**from_run, **parse_thresholds(getattr(args, bound), f"--{bound}", problems)}  # CLI wins
    min_f1, min_f1_from = None, None  # the flag over the run's eval settings; a gold case's own over both
    from_run = settings.get("free_text_min_f1")
    if from_run is not None and not args.bfcl:
        if _is_min_f1(from_run):
            min_f1, min_f1_from = float(from_run), f"{run_dir} eval.free_text_min_f1"
        else:
            problems.append(f"{run_dir}: eval.free_text_min_f1 must be a number from 0 to 1 "
                            f"(got {json.dumps(from_run)}); fix it in the run's run.json (or recipe.yaml) eval section")
    if args.free_text_min_f1 is not None:
        try:
            value = float(args.free_text_min_f1)
        except ValueError:
            value = None
        if value is None or not _is_min_f1(value):
            problems.append(f"--free-text-min-f1 {args.free_text_min_f1}: the least token F1 at which free text counts "
                            "as matched is a number from 0 to 1, e.g. --free-text-min-f1 0.5")
        elif args.bfcl:
            problems.append("--free-text-min-f1 is for free-text (x-free-text) arguments, which BFCL functions do not "
                            "have; leave it out with --bfcl")
        else:
            min_f1, min_f1_from = value, "--free-text-min-f1"
    return Setup(run_dir, run, settings, catalogue, mode, gold, limits["min"], limits["max"], min_f1, min_f1_from)


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter eval` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["eval", *(sys.argv[1:] if argv is None else argv)])


def command(args: argparse.Namespace) -> int:
    problems: list[str] = []

    # 1. where the model, catalogue, mode, gold and thresholds come from
    setup = resolve(args, problems)
    old = _read_compare(Path(args.compare), problems) if args.compare else None
    problems += output_problems(args.report_json, "--report-json")
    for flag in ("batch_size", "max_new_tokens"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            problems.append(f"--{flag.replace('_', '-')} must be >= 1 (got {getattr(args, flag)})")
    _fail(problems, "the arguments")

    # 2. gold cases and their outputs; every bad line is reported at once
    bfcl = None
    if args.bfcl:
        from toolrouter.eval.bfcl import load_bfcl, print_summary

        bfcl = load_bfcl(args.bfcl, args.bfcl_answers)  # entries that cannot be scored are skipped, and counted
        cases = bfcl.cases
    else:
        cases = load_gold(Path(setup.gold), setup.catalogue, problems)
    outputs = (load_predictions(Path(args.predictions), cases, problems, bfcl.skipped if bfcl else ())
               if args.predictions else None)
    if args.no_copy and args.copy:
        problems.append("--copy and --no-copy contradict each other: give one")
    _fail(problems)
    # A run whose recipe says eval.copy_spans decodes copied arguments as request spans whenever it is constrained.
    copy = args.copy or (args.constrained and not args.no_copy and bool(setup.settings.get("copy_spans")))
    decoding = ("given predictions" if args.predictions else "copy" if copy
                else "constrained" if args.constrained else "free")
    loaded = None
    if outputs is None and not cases:
        outputs = []
    if outputs is None:
        from toolrouter.infer.loading import load_for_inference

        batch_size = args.batch_size or setup.settings.get("batch_size") or 32
        max_new = (args.max_new_tokens or setup.settings.get("max_new_tokens") or setup.run.get("max_new_tokens")
                   or 128)
        loaded = load_for_inference(str(setup.run_dir))
        outputs = predict(str(setup.run_dir), cases, setup.mode, batch_size, max_new, args.constrained or args.copy,
                          loaded, copy=copy)
    from toolrouter.formats import format_of_run

    fmt = loaded.format if loaded is not None else format_of_run(setup.run)

    # 3. score, report, gate
    from rich.console import Console

    console = Console()
    catalogue = setup.catalogue
    by = args.by[len("meta."):] if args.by and args.by.startswith("meta.") else args.by
    report = evaluate(cases, outputs, [] if bfcl or not catalogue else catalogue.names, args.match, parse=fmt.parse,
                      by=by, free_text_min_f1=setup.free_text_min_f1)
    misses = check_thresholds(report["metrics"], setup.minimum, setup.maximum)
    report = {"gold": args.bfcl or setup.gold, "source": args.predictions or str(setup.run_dir),
              "catalogue": "per-case tools" if bfcl or not catalogue else catalogue.name,
              "catalogue_sha256": None if bfcl or not catalogue else catalogue.fingerprint(), "mode": setup.mode,
              "decoding": decoding, "match": args.match, **report, **({"bfcl": bfcl.summary(args.match)} if bfcl else {}),
              "free_text_min_f1": {"value": setup.free_text_min_f1, "source": setup.free_text_min_f1_from,
                                   "cases_with_own": sum(c.free_text_min_f1 is not None for c in cases)},
              "thresholds": {"min": setup.minimum, "max": setup.maximum, "missed": misses}}
    print_report(report, console)
    if "by" in report:
        print_by(report["by"], console)
    if bfcl:
        print_summary(report["bfcl"], console)
    if old is not None:
        print_compare(old["metrics"], report["metrics"], console)
    targets = [Path(args.report_json)] if args.report_json else []
    if args.run:
        targets.append(setup.run_dir / "eval.json")
    for path in targets:
        write_json(path, report)
        plot_confusion(report["confusion"], path.with_suffix(".confusion.png"))
        console.print(f"wrote {path} and {path.with_suffix('.confusion.png')}")
    if args.run and fill_model_card(setup.run_dir / "README.md", report, report["gold"]):
        console.print(f"filled the metrics section of {setup.run_dir / 'README.md'}")
    for miss in misses:
        print(f"threshold missed: {miss}", file=sys.stderr)
    return 1 if misses else 0


def _read_compare(path: Path, problems: list[str]) -> Optional[dict]:
    try:
        old = read_json(path, "pass an earlier --report-json file")
    except ToolrouterError as e:
        problems.append(f"--compare: {e}")
        return None
    if not isinstance(old.get("metrics"), dict):
        problems.append(f"--compare file {path}: not a toolrouter eval report (no \"metrics\")")
        return None
    for name, entry in old["metrics"].items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if not isinstance(entry, dict) or not (value is None or (isinstance(value, (int, float))
                                                                 and not isinstance(value, bool))):
            problems.append(f"--compare file {path}: metrics.{name}: expected {{\"value\": number or null, ...}}, "
                            f"got {json.dumps(entry)[:80]}; pass a report written by `toolrouter eval --report-json`")
            return None
    return old


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
