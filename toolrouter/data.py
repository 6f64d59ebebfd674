"""Deterministic synthetic SFT data for a catalogue: phrasing banks, slots, negatives, splits.

    toolrouter data build --catalogue support_router --n 2000 --seed 0 --out data/support_router
    toolrouter data build --catalogue car_control --n 4000 --mode json --robust --out data/car
    toolrouter data import openai_rows.jsonl --catalogue support_router --out data/mine

A phrasing bank (`catalogues/<name>.bank.yaml`, beside the catalogue's source file) holds, per
tool, templates with slots and the surface forms of slot values; plus negatives by kind. A
template is text with three constructs, compiled once:
    {arg} / {arg:group}   a slot: the argument's value said one way (a surface form of a group)
    (a|b|c)               one of several phrasings          [x]   x or nothing (50 %)
An argument is in the target exactly when its slot was said, so optional arguments appear both
present and absent. A catalogue without a bank gets generic templates built from its schema.

Every target is written canonically and parsed back against the catalogue shown in its prompt; a
target that does not parse is a bug in the bank and stops the build. The test split uses
templates and slot values (IDs, numbers, free text) that the training split never sees.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Optional, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from .catalogue import BUILTIN_DIR, MODES, Catalogue, CatalogueError, catalogue_from_openai, load_catalogue
from .parse import format_call, format_no_tool, parse_tool_call
from .schema import FREE_TEXT_KEY, NO_TOOL, ToolrouterError, spec_from_openai

try:  # the stdlib regex parser, used to generate IDs that follow a declared pattern
    from re import _parser as _sre
except ImportError:  # Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

SPLITS = ("train", "val", "test")
SHARES = {"val": 0.10, "test": 0.10}  # of rows; train gets the rest
NEGATIVE_KINDS = ("greeting", "domain_question", "out_of_scope", "missing_argument", "near_miss")
RATIO_RANGE = (0.10, 0.20)
HOLDOUT = 0.18  # share of each tool's / negative kind's templates kept for the test split only
ATTEMPTS = 40  # duplicate draws in a row before a tool or kind counts as exhausted

# Decoration of a core ask. Prefix/suffix pools are shared by all splits: the held-out unit is
# the core template, and shared decoration keeps unseen templates in-distribution.
P_PREFIX, P_SUFFIX, P_LOWER, P_CAP, P_TYPO, P_COMBO = 0.25, 0.30, 0.25, 0.55, 0.08, 0.3
PREFIXES = ["hi, ", "hello, ", "hey, ", "hi there. ", "good morning, ", "ok so ", "quick one: ", "hey there! ",
            "um, ", "so, ", "yo, ", "hello! "]
SUFFIXES = [", thanks", " thanks!", ". thank you", " please", ", please.", " thx", "!", " asap", ". cheers",
            ", ty", " pls", ". much appreciated"]

# Unrelated tools mixed into robust prompts; `covers` words keep a distractor out of rows that ask
# for what it does (a weather question must stay a no_tool when get_weather is not a real tool).
DISTRACTORS = [
    ({"type": "function", "function": {"name": "get_weather", "description": "Get the current weather for a city.",
      "parameters": {"type": "object", "properties": {
          "city": {"type": "string", "description": "City name."},
          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit."}},
          "required": ["city"]}}}, ("weather", "forecast", "rain", "sunny", "umbrella")),
    ({"type": "function", "function": {"name": "get_stock_price", "description": "Look up a stock's latest price.",
      "parameters": {"type": "object", "properties": {
          "ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$", "description": "Ticker symbol, e.g. AAPL."}},
          "required": ["ticker"]}}}, ("stock", "share price", "shares", "ticker")),
    ({"type": "function", "function": {"name": "translate_text", "description": "Translate text into another language.",
      "parameters": {"type": "object", "properties": {
          "text": {"type": "string", "description": "Text to translate."},
          "target_language": {"type": "string", "description": "Language to translate into."}},
          "required": ["text", "target_language"]}}}, ("translat", "in french", "in spanish", "in german")),
    ({"type": "function", "function": {"name": "set_alarm", "description": "Set an alarm on the phone.",
      "parameters": {"type": "object", "properties": {
          "time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$", "description": "Time as HH:MM."},
          "label": {"type": "string", "description": "Optional label."}},
          "required": ["time"]}}}, ("alarm", "wake me", "timer", "remind")),
    ({"type": "function", "function": {"name": "convert_currency", "description": "Convert an amount between currencies.",
      "parameters": {"type": "object", "properties": {
          "amount": {"type": "number", "minimum": 0, "description": "Amount to convert."},
          "from_currency": {"type": "string", "description": "ISO code to convert from."},
          "to_currency": {"type": "string", "description": "ISO code to convert to."}},
          "required": ["amount", "from_currency", "to_currency"]}}}, ("currency", "exchange rate", "convert", "dollars", "euros")),
    ({"type": "function", "function": {"name": "create_calendar_event", "description": "Add an event to the calendar.",
      "parameters": {"type": "object", "properties": {
          "title": {"type": "string", "description": "Event title."},
          "date": {"type": "string", "description": "Date, e.g. 2025-05-01."}},
          "required": ["title", "date"]}}}, ("calendar", "meeting", "appointment", "schedule")),
    ({"type": "function", "function": {"name": "search_recipes", "description": "Search cooking recipes.",
      "parameters": {"type": "object", "properties": {
          "query": {"type": "string", "description": "Dish or ingredient."},
          "max_results": {"type": "integer", "minimum": 1, "maximum": 20, "description": "How many results."}},
          "required": ["query"]}}}, ("recipe", "cook", "bake", "dinner", "lasagna")),
    ({"type": "function", "function": {"name": "get_sports_scores", "description": "Get the latest score of a team.",
      "parameters": {"type": "object", "properties": {
          "team": {"type": "string", "description": "Team name."}}, "required": ["team"]}}},
     ("score", "match", "game", "team")),
    ({"type": "function", "function": {"name": "send_email", "description": "Send an email.",
      "parameters": {"type": "object", "properties": {
          "to": {"type": "string", "description": "Recipient address."},
          "subject": {"type": "string", "description": "Subject line."},
          "body": {"type": "string", "description": "Message body."}},
          "required": ["to", "subject", "body"]}}}, ("email", "e-mail", "mail")),
    ({"type": "function", "function": {"name": "calculate", "description": "Evaluate an arithmetic expression.",
      "parameters": {"type": "object", "properties": {
          "expression": {"type": "string", "description": "E.g. 12*(3+4)."}}, "required": ["expression"]}}},
     ("calculat", "math", "plus", "times", "divided", "square root", "percent")),
]

# Used where a catalogue has no bank (or a bank lacks a kind): plain, domain-free negatives.
GENERIC_NEGATIVES: dict[str, list[tuple[str, list[str]]]] = {
    "greeting": [
        ("greeting", ["hi there(!|.|)", "hello, (anyone there|is anyone around)?", "good (morning|afternoon|evening) to you!",
                      "hey, how are you doing today?", "(hiya|heya), what's up?", "hello hello", "hey assistant, you there?"]),
        ("chit-chat", ["how's your day going?", "do you like (music|movies|your job)?", "(thanks|thank you), that's all for now",
                       "you're (great|awesome|very helpful)", "bye for now(!|)", "what's your name?", "are you a robot?"]),
    ],
    "domain_question": [
        ("question: capabilities", ["what can you (do|help me with)?", "which tools do you have?",
                                    "what are you able to do for me?", "how does this assistant work?",
                                    "what kind of requests do you handle?"]),
    ],
    "out_of_scope": [
        ("out of scope: weather", ["what's the weather like (today|tomorrow)?", "will it rain this weekend?"]),
        ("out of scope: joke", ["tell me a joke", "(know|got) any good jokes?", "make me laugh"]),
        ("out of scope: math", ["what's (12|17|23) times (3|4|8)?", "what is the square root of (81|144)?"]),
        ("out of scope: poem", ["write me a poem about (the sea|autumn|cats)", "compose a haiku about (rain|mountains)"]),
        ("out of scope: trivia", ["who (wrote|painted) the mona lisa?", "what's the capital of (peru|canada|kenya)?"]),
    ],
    "near_miss": [],
}
GENERIC_WORDS = ["Paris", "blue", "project alpha", "the usual", "Maria Lopez", "room 4", "tomorrow morning",
                 "my notes", "Berlin", "green tea", "weekly report", "the red one", "Tokyo", "budget review",
                 "John Smith", "order summary", "Lisbon", "quarterly plan", "the big box", "Oslo", "team sync",
                 "Ana Ruiz", "yellow", "Madrid", "draft two", "kitchen", "north office", "Sam Lee", "Cairo",
                 "invoice 12", "the garden", "Lima", "evening run", "Dana Kim", "silver", "Rome", "deck B",
                 "Nairobi", "shopping list", "Chris Wong"]
GENERIC_TEXT = ["it arrived damaged", "the app keeps crashing", "I was charged twice", "nobody answered my email",
                "the size is wrong", "it stopped working", "the delivery is late", "I changed my mind",
                "the colour is not as shown", "a part is missing", "the screen is cracked", "it is too noisy",
                "the battery dies fast", "I got the wrong item", "the box was empty", "it smells strange",
                "the instructions are missing", "the lid does not close", "it overheats", "the strap broke"]


# ---------------------------------------------------------------------------------------------
# templates: "(a|b) {slot} [optional]" -> a nested tuple, expanded per row

class _Slot(NamedTuple):
    arg: str
    group: str  # "" = the default surface forms


def compile_template(text: str) -> tuple:
    """Compile template text into nodes: str, _Slot, ("alt", options) or ("opt", seq)."""
    seq, i = _parse_seq(text, 0, "")
    if i != len(text):
        raise ValueError(f"unbalanced {text[i]!r} at character {i}")
    return seq


def _parse_seq(text: str, i: int, stops: str) -> tuple[tuple, int]:
    seq: list = []
    buf: list[str] = []

    def flush():
        if buf:
            seq.append("".join(buf))
            buf.clear()

    while i < len(text):
        ch = text[i]
        if ch in stops:
            break
        if ch == "{":
            j = text.find("}", i)
            if j < 0:
                raise ValueError(f"'{{' at character {i} is never closed")
            arg, _, group = text[i + 1:j].partition(":")
            if not arg.strip() or "{" in arg:
                raise ValueError(f"bad slot {text[i:j + 1]!r} at character {i}; write {{argument}} or {{argument:group}}")
            flush()
            seq.append(_Slot(arg.strip(), group.strip()))
            i = j + 1
        elif ch == "(":
            flush()
            start, options = i, []
            i += 1
            while True:
                sub, i = _parse_seq(text, i, "|)")
                if i >= len(text):
                    raise ValueError(f"'(' at character {start} is never closed")
                options.append(sub)
                i += 1
                if text[i - 1] == ")":
                    break
            seq.append(("alt", tuple(options)))
        elif ch == "[":
            flush()
            start = i
            sub, i = _parse_seq(text, i + 1, "]")
            if i >= len(text):
                raise ValueError(f"'[' at character {start} is never closed")
            seq.append(("opt", sub))
            i += 1
        elif ch in "})]|":
            raise ValueError(f"unbalanced {ch!r} at character {i}")
        else:
            buf.append(ch)
            i += 1
    flush()
    return tuple(seq), i


def _expand(seq: tuple, rng: random.Random, out: list) -> None:
    for node in seq:
        if type(node) is str or type(node) is _Slot:
            out.append(node)
        elif node[0] == "alt":
            _expand(rng.choice(node[1]), rng, out)
        elif rng.random() < 0.5:
            _expand(node[1], rng, out)


def _slot_uses(seq: tuple) -> list[_Slot]:
    found: list[_Slot] = []
    for node in seq:
        if type(node) is _Slot:
            found.append(node)
        elif type(node) is tuple:
            for sub in (node[1] if node[0] == "alt" else (node[1],)):
                found += _slot_uses(sub)
    return found


def _max_uses(seq: tuple, arg: str) -> int:
    """The most times `arg` can be said in one expansion (must be 1: one value per argument)."""
    total = 0
    for node in seq:
        if type(node) is _Slot:
            total += node.arg == arg
        elif type(node) is tuple:
            total += max(_max_uses(s, arg) for s in node[1]) if node[0] == "alt" else _max_uses(node[1], arg)
    return total


# ---------------------------------------------------------------------------------------------
# slot samplers: (value, surface form) chosen together

def _held_out(text: str) -> bool:
    """Test-side slot values: a fixed 1-in-5 hash rule, so train and test value pools never meet."""
    return zlib.crc32(text.encode()) % 5 == 0


def _num_text(v: Union[int, float]) -> str:
    return str(v)  # 22 -> "22", 22.5 -> "22.5": the target's JSON number is the text said


class _Choice:
    """An enum or boolean: each value has surface forms per group; a per-split deck of values makes
    every value appear once before any repeats, so a split covers all values after a few rows."""

    copy, after = False, 0

    def __init__(self, values: list, forms: dict[str, dict[int, list[str]]]):
        self.values, self.forms, self.decks = values, forms, {}
        self.index = {_key(v): i for i, v in enumerate(values)}

    def say(self, rng, value, group):
        """Another mention of a value already chosen ("it's pouring, wipers faster")."""
        return rng.choice(self.forms[group][self.index[_key(value)]])

    def sample(self, rng, split, group, ctx):
        table = self.forms[group]
        deck = self.decks.get((split, group))
        if not deck:
            deck = self.decks[(split, group)] = sorted(table)
            rng.shuffle(deck)
        i = deck.pop()
        return self.values[i], rng.choice(table[i])


class _EnumList:
    """A list of enum items: one to all items in varied order, or a named combination ("the back
    seats"); the list is in the order the items are said."""

    copy, after = False, 0

    def __init__(self, values: list, forms: dict[str, dict[int, list[str]]], combos: list, lo: int, hi: int):
        self.values, self.forms, self.combos, self.lo, self.hi, self.decks = values, forms, combos, lo, hi, {}

    def sample(self, rng, split, group, ctx):
        if not group and self.combos and rng.random() < P_COMBO:
            idx, surfaces = rng.choice(self.combos)
            return [self.values[i] for i in idx], rng.choice(surfaces)
        table = self.forms[group]
        hi = min(self.hi, len(table))
        k = max(self.lo, min(hi, rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]))
        deck = self.decks.get((split, group))
        if not deck:
            deck = self.decks[(split, group)] = sorted(table)
            rng.shuffle(deck)
        first = deck.pop()
        chosen = [first] + rng.sample([i for i in sorted(table) if i != first], k - 1)
        rng.shuffle(chosen)
        return [self.values[i] for i in chosen], _join(rng, [rng.choice(table[i]) for i in chosen])


def _join(rng: random.Random, words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    if len(words) == 2:
        return words[0] + rng.choice((" and ", " and ", " & ", ", ")) + words[1]
    return ", ".join(words[:-1]) + rng.choice((" and ", ", and ", ", ")) + words[-1]


class _Number:
    """An integer or number in a range; ranges of 20+ values are split by the hash rule so test
    numbers are ones train never used. `when` narrows the range by another argument's value."""

    copy = False

    def __init__(self, lo: int, hi: int, integer: bool, half: float, formats: dict[str, list[str]],
                 when: Optional[tuple[str, dict]] = None):
        self.lo, self.hi, self.integer, self.half, self.formats, self.when = lo, hi, integer, half, formats, when
        self.after = 1 if when else 0
        self.pools: dict = {}

    def _pool(self, lo: int, hi: int, side: bool) -> list[int]:
        key = (lo, hi, side)
        if key not in self.pools:
            values = list(range(lo, hi + 1))
            if len(values) >= 20:
                values = [v for v in values if _held_out(str(v)) == side] or values
            self.pools[key] = values
        return self.pools[key]

    def sample(self, rng, split, group, ctx):
        lo, hi = self.lo, self.hi
        if self.when and self.when[0] in ctx:
            lo, hi = self.when[1].get(_key(ctx[self.when[0]]), (lo, hi))
        v: Union[int, float] = rng.choice(self._pool(lo, hi, split == "test"))
        if not self.integer and self.half and v + 0.5 <= hi and rng.random() < self.half:
            v = v + 0.5
        return v, rng.choice(self.formats[group]).format(_num_text(v))


class _Pattern:
    """A string that follows a regex (an order ID): generated from the parsed pattern; the hash
    rule puts a fifth of all IDs on the test side."""

    copy, after = False, 0

    def __init__(self, pattern: str, repeat: tuple[int, int], formats: dict[str, list[str]]):
        self.pattern, self.repeat, self.formats = pattern, repeat, formats
        self.tree = _sre.parse(pattern)
        for _ in range(5):  # fail at load time, not mid-build
            v = self._gen(self.tree, random.Random(0))
            if not re.search(pattern, v):
                raise ValueError(f"generated {v!r}, which does not match {pattern!r}")

    def _gen(self, tree, rng) -> str:
        out = []
        for op, av in tree:
            if op is _sre.LITERAL:
                out.append(chr(av))
            elif op is _sre.IN:
                out.append(rng.choice(_class_chars(av)))
            elif op is _sre.ANY:
                out.append(rng.choice("abcdefghjkmnpqrstuvwxyz"))
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
                lo, hi, sub = av
                if hi == _sre.MAXREPEAT:
                    lo, hi = max(lo, self.repeat[0]), max(lo, self.repeat[1])
                out.extend(self._gen(sub, rng) for _ in range(rng.randint(lo, hi)))
            elif op is _sre.SUBPATTERN:
                out.append(self._gen(av[-1], rng))
            elif op is _sre.BRANCH:
                out.append(self._gen(rng.choice(av[1]), rng))
            elif op is _sre.AT:
                continue
            else:
                raise ValueError(f"pattern construct {op} is not supported for generating values")
        return "".join(out)

    def sample(self, rng, split, group, ctx):
        side = split == "test"
        for _ in range(50):
            v = self._gen(self.tree, rng)
            if _held_out(v) == side:
                break
        return v, rng.choice(self.formats[group]).format(v, lower=v.lower(), upper=v.upper())


def _class_chars(items) -> str:
    chars = []
    for op, av in items:
        if op is _sre.LITERAL:
            chars.append(chr(av))
        elif op is _sre.RANGE:
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif op is _sre.CATEGORY:
            chars.extend({"CATEGORY_DIGIT": "0123456789", "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyz0123456789",
                          "CATEGORY_SPACE": " "}.get(str(av), "x"))
        elif op is _sre.NEGATE:
            raise ValueError("negated character classes are not supported for generating values")
    return "".join(chars) or "x"


class _Text:
    """Free text or a name, copied verbatim into the target: value == surface form, so the model
    learns to copy a span. Pools are split by the hash rule; `compose` joins one part of each list."""

    copy, after = True, 0

    def __init__(self, pool: list[str], compose: list[list[str]]):
        self.sides = {side: [t for t in pool if _held_out(t) == side] or pool for side in (False, True)}
        self.pool, self.compose = pool, compose

    def sample(self, rng, split, group, ctx):
        side = split == "test"
        if self.compose and (not self.pool or rng.random() < 0.5):
            for _ in range(40):
                v = " ".join(rng.choice(part) for part in self.compose)
                if _held_out(v) == side:
                    break
        else:
            v = rng.choice(self.sides[side])
        return v, v


class _List:
    """A list of non-enum items (generic catalogues): one to three items joined with 'and'."""

    after = 0

    def __init__(self, item, lo: int, hi: int, unique: bool):
        self.item, self.lo, self.hi, self.unique = item, lo, hi, unique
        self.copy = item.copy

    def sample(self, rng, split, group, ctx):
        values, surfaces = [], []
        for _ in range(max(self.lo, min(self.hi, rng.randint(1, 3))) * 3):
            v, s = self.item.sample(rng, split, "", ctx)
            if self.unique and v in values:
                continue
            values.append(v)
            surfaces.append(s)
            if len(values) >= max(self.lo, min(self.hi, 3)) or rng.random() < 0.4:
                break
        return values, _join(rng, surfaces)


class _Object:
    """A nested object (generic catalogues): required properties plus some optional ones."""

    copy, after = False, 0

    def __init__(self, props: dict, required: list[str]):
        self.props, self.required = props, required

    def sample(self, rng, split, group, ctx):
        value, parts = {}, []
        for name, sampler in self.props.items():
            if name in self.required or rng.random() < 0.5:
                v, s = sampler.sample(rng, split, "", ctx)
                value[name] = v
                parts.append(f"{name.replace('_', ' ')} {s}")
        return value, ", ".join(parts)


def _key(value: Any) -> str:
    """A YAML key as written (booleans as true/false), to match forms and `when` keys to values."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


# ---------------------------------------------------------------------------------------------
# the bank file

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComboSpec(_Strict):
    values: list[str]
    forms: list[str]


class SlotSpec(_Strict):
    forms: Optional[dict[Any, list[str]]] = None  # enum value -> surface forms; or formats for numbers/IDs
    groups: dict[str, Any] = {}  # group name -> the same shape as `forms`
    combos: list[ComboSpec] = []  # enum lists: named combinations of items
    range: Optional[tuple[int, int]] = None  # numbers: a narrower, natural range
    range_when: dict[str, dict[Any, tuple[int, int]]] = {}  # {other_arg: {value: [lo, hi]}}
    half: float = 0.0  # numbers: share of x.5 values
    formats: Optional[list[str]] = None  # numbers/IDs: "{} degrees", "{lower}"
    pool: Optional[list[str]] = None  # free text / names
    compose: Optional[list[list[str]]] = None  # free text: one part of each list, joined by spaces
    pattern: Optional[str] = None  # IDs in negatives (tool arguments use the schema's pattern)
    repeat: tuple[int, int] = (1, 6)  # length of unbounded repeats (\d+) in generated IDs


class GroupSpec(_Strict):
    reason: str
    templates: list[str]
    slots: dict[str, SlotSpec] = {}


class MissingSpec(_Strict):
    args: list[str]
    templates: list[str]


class ToolBankSpec(_Strict):
    unsupported: Optional[str] = None  # what the tool does, for "not supported: ..." when it is not shown
    slots: dict[str, SlotSpec] = {}
    templates: list[str]
    missing: list[MissingSpec] = []


class BankSpec(_Strict):
    shared: Any = None  # free space for YAML anchors
    prefixes: Optional[list[str]] = None
    suffixes: Optional[list[str]] = None
    slots: dict[str, SlotSpec] = {}
    tools: dict[str, ToolBankSpec] = {}
    negatives: dict[Literal["greeting", "domain_question", "out_of_scope", "near_miss"], list[GroupSpec]] = {}


def bank_path(catalogue: Catalogue) -> Optional[Path]:
    """The phrasing bank beside the catalogue's source file, if there is one."""
    src = Path(catalogue.source)
    if src.suffix not in (".py", ".json"):
        return None
    path = src.with_name(src.stem + ".bank.yaml")
    return path if path.is_file() else None


def read_bank(path: Path) -> BankSpec:
    """Read and check a bank file's shape; every problem is reported at once."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ToolrouterError(f"phrasing bank {path}: cannot read it: {e}") from None
    try:
        return BankSpec.model_validate(data)
    except ValidationError as e:
        lines = [f"  - {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors(include_url=False)]
        raise ToolrouterError(f"phrasing bank {path}: {len(lines)} problem(s):\n" + "\n".join(lines)) from None


@dataclass
class _Template:
    id: str
    seq: tuple
    samplers: dict
    kind: str  # "call" or a negative kind
    tool: Optional[str] = None  # the call's tool, or the tool a missing-argument ask is for
    reason: Optional[str] = None  # the no_tool reason
    side: str = "train"  # "train" or "test" (held out)
    decorate: bool = True
    lowerable: bool = True


class _Compiled:
    """A bank compiled against a catalogue: templates per tool and per negative kind, samplers."""

    def __init__(self, catalogue: Catalogue, spec: Optional[BankSpec], source: str):
        self.catalogue, self.source = catalogue, source
        spec = spec or BankSpec()
        self.prefixes = spec.prefixes if spec.prefixes is not None else PREFIXES
        self.suffixes = spec.suffixes if spec.suffixes is not None else SUFFIXES
        self.tools: dict[str, list[_Template]] = {}
        self.negatives: dict[str, list[_Template]] = {k: [] for k in NEGATIVE_KINDS}
        self.unsupported: dict[str, str] = {}
        problems: list[str] = []
        # Bank entries of tools the catalogue lacks are ignored: a subset shares its parent's bank.
        for tool in catalogue:
            tbank = spec.tools.get(tool.name)
            where = f"tools.{tool.name}"
            samplers = {}
            for arg, schema in tool.properties.items():
                slot = (tbank.slots.get(arg) if tbank else None) or spec.slots.get(arg)
                try:
                    samplers[arg] = _sampler(arg, schema, slot)
                except ValueError as e:
                    problems.append(f"{where}.slots.{arg}: {e}")
            if tbank:
                for name in tbank.slots:
                    if name not in tool.properties:
                        problems.append(f"{where}.slots.{name}: {tool.name} has no argument {name!r} "
                                        f"(arguments: {', '.join(tool.properties) or 'none'})")
                texts, missing = tbank.templates, [(m.args, m.templates) for m in tbank.missing]
                self.unsupported[tool.name] = tbank.unsupported or tool.name.replace("_", " ")
            else:
                texts, missing = _generic_templates(tool), _generic_missing(tool)
                self.unsupported[tool.name] = tool.name.replace("_", " ").replace(".", " ")
            calls = []
            for i, text in enumerate(texts):
                tpl = self._template(f"{tool.name}/{i:02d}", text, samplers, "call", f"{where}.templates[{i}]",
                                     problems, tool=tool.name)
                if tpl:
                    calls.append(tpl)
            self.tools[tool.name] = calls
            n = 0
            for j, (args, group) in enumerate(missing):
                bad = [a for a in args if a not in tool.required]
                if bad:
                    problems.append(f"{where}.missing[{j}].args: {bad} are not required arguments of {tool.name} "
                                    f"(required: {', '.join(tool.required) or 'none'})")
                    continue
                reason = f"missing {' and '.join(args)} for {tool.name}"
                present = {a: s for a, s in samplers.items() if a not in args}
                for k, text in enumerate(group):
                    tpl = self._template(f"missing_argument/{tool.name}/{n:02d}", text, present, "missing_argument",
                                         f"{where}.missing[{j}].templates[{k}]", problems, tool=tool.name,
                                         reason=reason, extra=spec.slots, forbid=args)
                    n += 1
                    if tpl:
                        self.negatives["missing_argument"].append(tpl)
        topics = " ".join(f"{t.name} {t.description}" for t in catalogue).lower().replace("_", " ")
        for kind in ("greeting", "domain_question", "out_of_scope", "near_miss"):
            groups = spec.negatives.get(kind)
            if groups is None:  # generic negatives, minus topics the catalogue does handle
                groups = [GroupSpec(reason=r, templates=t) for r, t in GENERIC_NEGATIVES[kind]
                          if r.split(": ")[-1] not in topics]
            n = 0
            for j, group in enumerate(groups):
                local = {}
                for name, slot in group.slots.items():
                    try:
                        local[name] = _free_sampler(slot)
                    except ValueError as e:
                        problems.append(f"negatives.{kind}[{j}].slots.{name}: {e}")
                for k, text in enumerate(group.templates):
                    tpl = self._template(f"{kind}/{n:02d}", text, local, kind, f"negatives.{kind}[{j}].templates[{k}]",
                                         problems, reason=group.reason, extra=spec.slots)
                    n += 1
                    if tpl:
                        tpl.decorate = kind != "greeting"
                        self.negatives[kind].append(tpl)
        if problems:
            raise ToolrouterError(f"phrasing bank {source}: {len(problems)} problem(s):\n"
                                  + "\n".join(f"  - {p}" for p in problems))

    def _template(self, tid, text, samplers, kind, where, problems, tool=None, reason=None, extra=None, forbid=()):
        try:
            seq = compile_template(text)
        except ValueError as e:
            problems.append(f"{where}: {e}: {text!r}")
            return None
        used = {}
        for slot in _slot_uses(seq):
            if slot.arg in forbid:
                problems.append(f"{where}: says {{{slot.arg}}}, which this group declares missing: {text!r}")
                return None
            sampler = samplers.get(slot.arg)
            if sampler is None and extra and slot.arg in extra:
                try:
                    sampler = _free_sampler(extra[slot.arg])
                except ValueError as e:
                    problems.append(f"slots.{slot.arg}: {e}")
                    return None
            if sampler is None:
                problems.append(f"{where}: unknown slot {{{slot.arg}}} in {text!r}; known: "
                                f"{', '.join(sorted(samplers)) or 'none'}")
                return None
            groups = sampler.forms if isinstance(sampler, (_Choice, _EnumList)) else getattr(sampler, "formats", {"": 0})
            if slot.group not in groups:
                problems.append(f"{where}: slot {{{slot.arg}:{slot.group}}} names a surface group that "
                                f"{slot.arg} does not define (groups: {', '.join(g or 'default' for g in groups)})")
                return None
            if _max_uses(seq, slot.arg) > 1:
                groups_used = {u.group for u in _slot_uses(seq) if u.arg == slot.arg}
                if not isinstance(sampler, _Choice) or len({tuple(sorted(sampler.forms[g])) for g in groups_used}) > 1:
                    problems.append(f"{where}: {{{slot.arg}}} can be said twice in one request, which only works "
                                    f"for a choice whose groups cover the same values: {text!r}")
                    return None
            used[slot.arg] = sampler
        lowerable = all(isinstance(s, (_Text, _Pattern)) or not s.copy for s in used.values())
        return _Template(tid, seq, used, kind, tool=tool, reason=reason, lowerable=lowerable)


def _words(name: str) -> str:
    return re.sub(r"[{}()\[\]|]", "", name.replace("_", " ").replace(".", " ")).strip()


def _surface_table(values: list, forms: Optional[dict], fill: bool, name: str) -> dict[int, list[str]]:
    """Map a YAML forms dict (value -> surfaces) onto value indexes; unknown keys are errors."""
    table: dict[int, list[str]] = {}
    for key, surfaces in (forms or {}).items():
        idx = [i for i, v in enumerate(values) if _key(v) == _key(key)]
        if not idx:
            hint = " (unquoted yes/no/on/off are booleans in YAML; quote them)" if isinstance(key, bool) else ""
            raise ValueError(f"{key!r} is not a value of {name} ({', '.join(_key(v) for v in values)}){hint}")
        if not surfaces:
            raise ValueError(f"value {key!r} has no surface forms")
        table[idx[0]] = list(surfaces)
    if fill:
        for i, v in enumerate(values):
            if i not in table:
                if isinstance(v, bool):
                    words = _words(name)
                    table[i] = [f"with {words}", f"{words} yes"] if v else [f"without {words}", f"{words} no"]
                else:
                    text = _key(v)
                    table[i] = sorted({text, text.replace("-", " ").replace("_", " ")})
    return table


def _formats(spec: Optional[SlotSpec], default: list[str]) -> dict[str, list[str]]:
    if spec and spec.forms:
        raise ValueError("numbers and IDs take `formats` (e.g. ['{}', '{} degrees']), not `forms`")
    out = {"": list(spec.formats or default) if spec else default}
    for name, forms in (spec.groups.items() if spec else ()):
        if not isinstance(forms, list) or not forms:
            raise ValueError(f"group {name!r} must be a non-empty list of formats like '{{}} degrees'")
        out[name] = list(forms)
    for fmts in out.values():
        for f in fmts:
            try:
                f.format("1", lower="1", upper="1")
            except (IndexError, KeyError, ValueError):
                raise ValueError(f"bad format {f!r}: use {{}} for the value, or {{lower}}/{{upper}}") from None
    return out


def _sampler(name: str, schema: dict, spec: Optional[SlotSpec]):
    """The sampler of a tool argument: its kind from the schema, its surfaces from the bank."""
    kind = schema.get("type")
    if "enum" in schema or kind == "boolean":
        values = list(schema["enum"]) if "enum" in schema else [True, False]
        forms = {"": _surface_table(values, spec.forms if spec else None, True, name)}
        for group, table in (spec.groups.items() if spec else ()):
            if not isinstance(table, dict):
                raise ValueError(f"group {group!r} must map values to surface forms")
            forms[group] = _surface_table(values, table, False, name)
        return _Choice(values, forms)
    if kind == "array":
        items = schema.get("items", {})
        lo, hi = schema.get("minItems", 1) or 1, schema.get("maxItems", 99)
        if "enum" in items:
            values = list(items["enum"])
            forms = {"": _surface_table(values, spec.forms if spec else None, True, name)}
            for group, table in (spec.groups.items() if spec else ()):
                if not isinstance(table, dict):
                    raise ValueError(f"group {group!r} must map values to surface forms")
                forms[group] = _surface_table(values, table, False, name)
            combos = []
            for combo in (spec.combos if spec else ()):
                idx = []
                for v in combo.values:
                    if v not in values:
                        raise ValueError(f"combo value {v!r} is not one of {values}")
                    idx.append(values.index(v))
                combos.append((tuple(idx), combo.forms))
            return _EnumList(values, forms, combos, lo, hi)
        return _List(_sampler(name, items, spec), lo, hi, bool(schema.get("uniqueItems")))
    if kind in ("integer", "number"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 100) - 1)
        lo, hi = math.ceil(lo), math.floor(hi)
        if "minimum" not in schema and "exclusiveMinimum" not in schema and "maximum" in schema:
            lo = hi - 99
        if spec and spec.range:
            if spec.range[0] < lo or spec.range[1] > hi:
                raise ValueError(f"range {list(spec.range)} is outside the schema's {lo}..{hi}")
            lo, hi = spec.range
        when = None
        if spec and spec.range_when:
            if len(spec.range_when) != 1:
                raise ValueError("range_when takes one other argument")
            (other, table), = spec.range_when.items()
            when = (other, {_key(k): tuple(v) for k, v in table.items()})
        return _Number(lo, hi, kind == "integer", spec.half if spec else 0.0, _formats(spec, ["{}"]), when)
    if kind == "string":
        pattern = schema.get("pattern") or (spec.pattern if spec else None)
        if pattern:
            return _Pattern(pattern, spec.repeat if spec else (1, 6), _formats(spec, ["{}"]))
        pool = (spec.pool if spec else None) or ([] if spec and spec.compose else
                                                 GENERIC_TEXT if schema.get(FREE_TEXT_KEY) else GENERIC_WORDS)
        lo_len, hi_len = schema.get("minLength", 0), schema.get("maxLength", 10 ** 6)
        pool = [t for t in pool if lo_len <= len(t) <= hi_len] or ["x" * max(1, lo_len)]
        return _Text(pool, (spec.compose if spec else None) or [])
    if kind == "object":
        props = {k: _sampler(k, v, None) for k, v in schema.get("properties", {}).items()}
        return _Object(props, list(schema.get("required", [])))
    raise ValueError(f"cannot generate values of type {kind!r}")


def _free_sampler(spec: SlotSpec):
    """A slot of a negative template (no schema): pattern, pool, number range or keyed forms."""
    if spec.pattern:
        return _Pattern(spec.pattern, spec.repeat, _formats(spec, ["{}"]))
    if spec.pool or spec.compose:
        return _Text(spec.pool or [], spec.compose or [])
    if spec.range:
        return _Number(spec.range[0], spec.range[1], True, 0.0, _formats(spec, ["{}"]))
    if spec.forms:
        keys = list(spec.forms)
        return _Choice(keys, {"": {i: list(spec.forms[k]) for i, k in enumerate(keys)}})
    raise ValueError("a slot needs one of: pattern, pool, compose, range, forms")


def _generic_templates(tool) -> list[str]:
    """Templates for a tool the bank does not cover: its description plus 'argument value' clauses."""
    desc = _words(tool.description.strip().rstrip(".")) or _words(tool.name)
    desc = desc[:1].lower() + desc[1:]
    required = set(tool.required)
    clauses, first = "", True
    for arg in sorted(tool.properties, key=lambda a: a not in required):  # required ones first
        w = _words(arg)
        clause = f"({w}|{w}:|{w} =|with {w}|{w} is) {{{arg}}}"
        sep = "" if first else ", "
        clauses += f"{sep}{clause}" if arg in required else f"[{sep}{clause}]"
        first = False
    if not tool.properties:
        return [f"{p}{desc}{s}" for p, s in (("", ""), ("please ", ""), ("can you ", "?"), ("i need to ", ""),
                                               ("could you ", " for me"), ("", " please"), ("help me ", ""),
                                               ("i'd like to ", ""), ("", " now"), ("go ahead and ", ""))]
    frames = ["{D}, {A}", "please {D}: {A}", "can you {D}? {A}", "i need to {D} - {A}", "{A} - {D}",
              "could you {D} for me with {A}", "{D} please. {A}", "help me {D}, {A}", "i'd like to {D}: {A}",
              "{D} now, {A}", "go ahead and {D}. {A}", "hey, {D}; {A}"]
    return [f.replace("{D}", desc).replace("{A}", clauses) for f in frames]


def _generic_missing(tool) -> list[tuple[list[str], list[str]]]:
    if not tool.required:
        return []
    desc = _words(tool.description.strip().rstrip(".")) or _words(tool.name)
    desc = desc[:1].lower() + desc[1:]
    return [(tool.required, [f"please {desc}", f"can you {desc}?", f"i want to {desc}", f"{desc} now",
                             f"help me {desc}", f"i'd like to {desc}"])]


# ---------------------------------------------------------------------------------------------
# generation

@dataclass
class Dataset:
    """Rows per split (TRL conversational, see the module docstring) and a report dict."""

    splits: dict[str, list[dict]]
    report: dict
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # import: rows that did not validate


_SPACES = re.compile(r"\s+")
_SPACE_PUNCT = re.compile(r" ([,.?!;])")
_DOUBLE_PUNCT = re.compile(r"([,:;?!.]) ?[,.]")
_WORD = re.compile(r"[A-Za-z]{4,}")
_WORDS = re.compile(r"[a-z']+")
_COURTESY = ("thank", "please", "pls", "thx", "cheers", " ty")


def _clean(text: str) -> str:
    return _DOUBLE_PUNCT.sub(r"\1", _SPACE_PUNCT.sub(r"\1", _SPACES.sub(" ", text))).strip(" ,;")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randint(1, len(word) - 2)
    op = rng.randrange(3)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _lower_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [_lower_value(v) for v in value]
    return value


class _Builder:
    def __init__(self, catalogue: Catalogue, bank: _Compiled, mode: str, robust: bool):
        self.catalogue, self.bank, self.mode, self.robust = catalogue, bank, mode, robust
        self.seen: set[str] = set()
        self.duplicates = 0
        self.views: dict[tuple, tuple] = {}
        self.full = self._view(tuple(catalogue.names))
        self.distractors = [(spec_from_openai(d, "distractor")[0], covers) for d, covers in DISTRACTORS
                            if robust and d["function"]["name"] not in catalogue]
        self.decks: dict = {}
        self.sides: dict = {}

    def _view(self, names: tuple) -> tuple:
        """(catalogue, system prompt, tools list) of the catalogue shown, cached by tool order."""
        view = self.views.get(names)
        if view is None:
            specs = [self.catalogue[n] if n in self.catalogue else self._distractor(n) for n in names]
            shown = Catalogue(specs, name=self.catalogue.name, source=self.catalogue.source)
            view = self.views[names] = (shown, shown.render(self.mode), shown.template_tools(self.mode))
        return view

    def _distractor(self, name: str):
        return next(spec for spec, _ in self.distractors if spec.name == name)

    def _shown(self, rng, text: str, reason: Optional[str], keep: Optional[str], hide: Optional[str]) -> tuple:
        """Robust prompts: a shuffled subset of the real tools plus unrelated distractors."""
        names = list(self.catalogue.names)
        if hide or rng.random() < 0.5:
            droppable = [n for n in names if n != keep and n != hide]
            k = rng.randint(0, max(1, len(names) // 3))
            drop = set(rng.sample(droppable, min(k, len(droppable))))
            if hide:
                drop.add(hide)
            names = [n for n in names if n not in drop]
        topic = f"{text} {reason or ''}".lower()
        pool = [s.name for s, covers in self.distractors if not any(c in topic for c in covers)]
        m = min(len(pool), rng.choice((0, 1, 1, 2, 3)) if names else max(1, rng.choice((1, 2, 3))))
        names += rng.sample(pool, m)
        if not names:  # nothing left to show: fall back to the full catalogue minus the hidden tool
            names = [n for n in self.catalogue.names if n != hide] or list(self.catalogue.names)
        rng.shuffle(names)
        return self._view(tuple(names))

    def _side(self, templates: list, side: str) -> list:
        key = (id(templates), side)
        if key not in self.sides:
            self.sides[key] = [t for t in templates if t.side == side]
        return self.sides[key]

    def _deck(self, key, items, rng):
        deck = self.decks.get(key)
        if not deck:
            deck = self.decks[key] = list(items)
            rng.shuffle(deck)
        return deck.pop()

    def render(self, tpl: _Template, split: str, rng: random.Random) -> tuple[str, dict]:
        """One request from a template: (text, arguments said)."""
        items: list = []
        _expand(tpl.seq, rng, items)
        values: dict = {}
        parts = [(it, True) for it in items]
        for phase in (0, 1):
            for i, it in enumerate(items):
                if type(it) is not _Slot or tpl.samplers[it.arg].after != phase:
                    continue
                sampler = tpl.samplers[it.arg]
                if it.arg in values:  # said again (enums only): same value, its own surface
                    parts[i] = (sampler.say(rng, values[it.arg], it.group), False)
                else:
                    values[it.arg], surface = sampler.sample(rng, split, it.group, values)
                    parts[i] = (surface, False)
        if tpl.decorate and rng.random() < P_PREFIX:
            parts.insert(0, (rng.choice(self.bank.prefixes), True))
        if tpl.decorate and rng.random() < P_SUFFIX:
            tail = "".join(p for p, _ in parts[-3:])[-16:].lower()
            if not any(c in tail for c in _COURTESY):  # no "thank you. thank you"
                parts.append((rng.choice(self.bank.suffixes), True))
        if rng.random() < P_TYPO:
            spots = [(i, m) for i, (p, lit) in enumerate(parts) if lit for m in _WORD.finditer(p)]
            if spots:
                i, m = rng.choice(spots)
                p = parts[i][0]
                parts[i] = (p[:m.start()] + _typo(m.group(), rng) + p[m.end():], True)
        text = _clean("".join(p for p, _ in parts))
        if tpl.lowerable and rng.random() < P_LOWER:
            text = text.lower()
            for arg, sampler in tpl.samplers.items():
                if sampler.copy and arg in values:
                    values[arg] = _lower_value(values[arg])
        elif rng.random() < P_CAP:
            lead = next((lit for p, lit in parts if p.strip()), False)
            if lead:
                text = text[:1].upper() + text[1:]
        return text, values

    def make(self, split: str, cat: str, key: str, rng: random.Random) -> Optional[dict]:
        """One new row of a tool (cat "call") or negative kind, or None when ATTEMPTS draws in a row
        were all duplicates (the tool or kind is exhausted)."""
        side = "test" if split == "test" else "train"
        robust = self.robust and split != "test"
        for _ in range(ATTEMPTS):
            hide = None
            if cat == "call":
                tpl = self._deck((split, key), self._side(self.bank.tools[key], side), rng)
            elif key == "hidden_tool":
                tool = self._deck((split, "hidden"), [t for t in self.catalogue.names
                                                      if self._side(self.bank.tools[t], side)], rng)
                tpl = self._deck((split, tool), self._side(self.bank.tools[tool], side), rng)
                hide = tool
            else:
                tpl = self._deck((split, key), self._side(self.bank.negatives[key], side), rng)
            text, args = self.render(tpl, split, rng)
            norm = _norm(text)
            if norm in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(norm)
            if hide:
                reason, kind = f"not supported: {self.bank.unsupported[hide]}", "near_miss"
            else:
                reason, kind = tpl.reason, tpl.kind
            if robust:
                keep = tpl.tool if cat == "call" or kind == "missing_argument" else None
                view = self._shown(rng, text, reason, keep, hide)
            else:
                view = self.full
            return self._row(view, text, tpl, args, reason, kind, split)
        return None

    def _row(self, view, text, tpl, args, reason, kind, split) -> dict:
        shown, system, tools = view
        if reason is None:
            # copied free text must be a span of the request, or the model cannot learn to copy it
            for arg, sampler in tpl.samplers.items():
                if sampler.copy and arg in args and isinstance(args[arg], str) and args[arg] not in text:
                    raise ToolrouterError(f"phrasing bank {self.bank.source}: template {tpl.id} ({tpl.tool}): "
                                          f"{arg} value {args[arg]!r} is not a span of the request {text!r}")
            target = format_call(tpl.tool, args, shown)
            result = parse_tool_call(target, shown)
            ok = result.kind == "call" and result.tool == tpl.tool and result.arguments == args
            meta = {"tool": tpl.tool, "kind": "call", "template": tpl.id}
        else:
            target = format_no_tool(reason)
            result = parse_tool_call(target, shown)
            ok = result.kind == "no_tool" and result.reason == reason
            meta = {"tool": NO_TOOL, "kind": f"no_tool:{kind}", "template": tpl.id}
        if not ok:
            raise ToolrouterError(f"phrasing bank {self.bank.source}: template {tpl.id} (tool {tpl.tool or NO_TOOL}) "
                                  f"made a target that does not verify against the catalogue shown: {target} "
                                  f"({result.error}: {result.message}); request: {text!r}. Fix the template's "
                                  "slots or surface forms in the bank")
        row = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": text},
                            {"role": "assistant", "content": target}]}
        if tools is not None:
            row["tools"] = tools
        row["meta"] = meta
        return row


def _literal_words(seq: tuple) -> set[str]:
    words: set[str] = set()
    for node in seq:
        if type(node) is str:
            words.update(_WORDS.findall(node.lower()))
        elif type(node) is tuple:
            for sub in (node[1] if node[0] == "alt" else (node[1],)):
                words |= _literal_words(sub)
    return words


def _hold_out(templates: list[_Template], group_of, vocab_of, rng: random.Random) -> None:
    """Mark ~HOLDOUT of the templates as test-only. Each group (a tool, a negative's reason) keeps
    at least one train template, so every answer the test asks for was seen in training. Among the
    candidates, those whose words all occur in the remaining train templates of the same tool (or
    negative kind) go first: a held-out template is a new sentence, not new vocabulary, which is
    what "unseen phrasing, in distribution" means for a model trained from scratch on the bank."""
    order = list(templates)
    rng.shuffle(order)
    target = round(HOLDOUT * len(order)) if len(order) >= 3 else 0
    left: dict = {}
    vocab: dict = {}
    words = {id(t): _literal_words(t.seq) for t in order}
    for t in order:
        left[group_of(t)] = left.get(group_of(t), 0) + 1
        counts = vocab.setdefault(vocab_of(t), {})
        for w in words[id(t)]:
            counts[w] = counts.get(w, 0) + 1
    for _ in range(target):
        best, best_score = None, -1.0
        for t in order:
            if t.side == "test" or left[group_of(t)] <= 1:
                continue
            counts, own = vocab[vocab_of(t)], words[id(t)]
            score = sum(counts[w] > 1 for w in own) / len(own) if own else 1.0
            if score > best_score:
                best, best_score = t, score
        if best is None:
            break
        best.side = "test"
        left[group_of(best)] -= 1
        for w in words[id(best)]:
            vocab[vocab_of(best)][w] -= 1


def _allocate(total: int, weights: dict[str, float]) -> list[str]:
    """`total` slots shared by weight with largest remainders (deterministic, key order breaks ties)."""
    if not weights or total <= 0:
        return []
    scale = total / sum(weights.values())
    exact = {k: w * scale for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), list(weights).index(k)))[:rest]:
        counts[k] += 1
    return [k for k, c in counts.items() for _ in range(c)]


def _check_args(n: int, no_tool_ratio: float, mode: str, robust: bool) -> None:
    if not isinstance(n, int) or n < 10:
        raise ToolrouterError(f"--n must be an integer of at least 10 (got {n!r}): every split needs rows")
    lo, hi = RATIO_RANGE
    if not (lo <= no_tool_ratio <= hi):
        raise ToolrouterError(f"--no-tool-ratio must be between {lo} and {hi} (got {no_tool_ratio}); "
                              "fewer no_tool rows teach the router to always call, more teach it to refuse")
    if mode not in MODES:
        raise ToolrouterError(f"--mode must be one of {', '.join(MODES)} (got {mode!r})")
    if robust and mode == "baked":
        raise ToolrouterError("--robust shuffles and subsets the catalogue in the prompt, but mode 'baked' "
                              "shows no catalogue; use --mode compact, json or template, or drop --robust")


def eval_set_path(catalogue: Catalogue) -> Optional[Path]:
    """The hand-written gold set `evals/<name>.jsonl` of a built-in catalogue, if there is one."""
    source = Path(catalogue.source).resolve()
    gold = BUILTIN_DIR.parent / "evals" / f"{catalogue.name}.jsonl"
    return gold if source.parent == BUILTIN_DIR and gold.is_file() else None


def build_dataset(catalogue: Union[Catalogue, str, Path], n: int = 2000, seed: int = 0,
                  no_tool_ratio: float = 0.15, mode: str = "compact", robust: bool = False) -> Dataset:
    """Generate n verified rows for a catalogue (a Catalogue, built-in name or path), split into
    train/val/test (80/10/10) with the no_tool share `no_tool_ratio` in every split. Test rows use
    held-out templates and slot values. Same arguments, same rows. Raises ToolrouterError on bad
    arguments, a broken bank or a target that does not verify."""
    start = time.perf_counter()
    _check_args(n, no_tool_ratio, mode, robust)
    catalogue = load_catalogue(catalogue)
    path = bank_path(catalogue)
    bank = _Compiled(catalogue, read_bank(path) if path else None, str(path) if path else "generic")
    rng = random.Random(f"{seed}:holdout")
    for name in catalogue.names:
        _hold_out(bank.tools[name], lambda t: t.tool, lambda t: t.tool, rng)
    for kind in NEGATIVE_KINDS:
        _hold_out(bank.negatives[kind], lambda t: (t.tool, t.reason), lambda t: t.kind, rng)
    builder = _Builder(catalogue, bank, mode, robust)
    gold_file = eval_set_path(catalogue)
    if gold_file:  # decontamination: a hand-written eval prompt is never generated (see evals/README.md)
        builder.seen.update(_norm(json.loads(line).get("prompt", "")) for line in
                            gold_file.read_text(encoding="utf-8").splitlines() if line.strip())
    sizes = {"val": round(n * SHARES["val"]), "test": round(n * SHARES["test"])}
    sizes = {"train": n - sizes["val"] - sizes["test"], **sizes}
    splits: dict[str, list[dict]] = {}
    warnings: list[str] = []
    for split in SPLITS:
        splits[split] = _make_split(builder, split, sizes[split], no_tool_ratio, random.Random(f"{seed}:{split}"),
                                    warnings)
    report = _report(splits, catalogue, bank, n=n, seed=seed, ratio=no_tool_ratio, mode=mode, robust=robust,
                     bank_file=path.name if path else None, duplicates=builder.duplicates, warnings=warnings)
    report["decontaminated_against"] = str(gold_file.relative_to(BUILTIN_DIR.parent)) if gold_file else None
    return Dataset(splits, report, seconds=time.perf_counter() - start)


def _make_split(builder: _Builder, split: str, size: int, ratio: float, rng: random.Random,
                warnings: list[str]) -> list[dict]:
    bank, side = builder.bank, "test" if split == "test" else "train"
    n_neg = round(size * ratio)
    tools = {t: 2.0 + len(builder.catalogue[t].properties) for t in builder.catalogue.names
             if any(x.side == side for x in bank.tools[t])}
    kinds = {k: 1.0 for k in NEGATIVE_KINDS if any(x.side == side for x in bank.negatives[k])}
    if builder.robust and split != "test" and tools:
        kinds["hidden_tool"] = 1.0
    plan = [("call", t) for t in _allocate(size - n_neg, tools)] + [("neg", k) for k in _allocate(n_neg, kinds)]
    rng.shuffle(plan)
    exhausted: set = set()
    rows, short = [], {"call": 0, "neg": 0}
    for cat, key in plan:
        keys = list(tools if cat == "call" else kinds)
        row = None
        for k in [key] + keys[keys.index(key) + 1:] + keys[:keys.index(key)]:
            if (cat, k) in exhausted:
                continue
            row = builder.make(split, cat, k, rng)
            if row is not None:
                break
            exhausted.add((cat, k))
        if row is None:
            short[cat] += 1
        else:
            rows.append(row)
    if short["neg"]:  # keep the ratio: drop calls in proportion to the missing negatives
        negs = sum(1 for r in rows if r["meta"]["tool"] == NO_TOOL)
        keep_calls = round(negs * (1 - ratio) / ratio) if negs else 0
        calls_seen, kept = 0, []
        for r in rows:
            if r["meta"]["tool"] != NO_TOOL:
                calls_seen += 1
                if calls_seen > keep_calls:
                    continue
            kept.append(r)
        rows = kept
    if short["call"] or short["neg"]:
        warnings.append(f"{split}: the bank ran out of distinct requests ({short['call']} calls and "
                        f"{short['neg']} negatives short); the split has {len(rows)} of {size} rows. "
                        "Add templates or slot values to the bank, or ask for fewer rows")
    return rows


# ---------------------------------------------------------------------------------------------
# report, summary, files

def _enum_args(catalogue: Catalogue) -> dict[str, list]:
    out = {}
    for tool in catalogue:
        for arg, schema in tool.properties.items():
            values = schema.get("enum") or schema.get("items", {}).get("enum")
            if values:
                out[f"{tool.name}.{arg}"] = list(values)
    return out


def _report(splits, catalogue, bank, **info) -> dict:
    enum_args = _enum_args(catalogue)
    report = {"catalogue": catalogue.name, "catalogue_sha256": catalogue.fingerprint(), "mode": info["mode"],
              "robust": info["robust"], "robust_splits": ["train", "val"] if info["robust"] else [],
              "seed": info["seed"], "n_requested": info["n"], "no_tool_ratio": info["ratio"],
              "bank": info["bank_file"] or "generic (no bank file)", "duplicates_skipped": info["duplicates"],
              "warnings": info["warnings"], "splits": {}, "enum_coverage": {}}
    used = {}
    for split, rows in splits.items():
        report["splits"][split], report["enum_coverage"][split], used[split] = _split_stats(rows, enum_args)
    report["templates"] = {
        "per_tool": {t: {"train": sum(x.side == "train" for x in bank.tools[t]),
                         "test": sum(x.side == "test" for x in bank.tools[t])} for t in catalogue.names},
        "per_negative_kind": {k: {"train": sum(x.side == "train" for x in bank.negatives[k]),
                                  "test": sum(x.side == "test" for x in bank.negatives[k])} for k in NEGATIVE_KINDS},
        "test_templates_seen_in_train": sorted(used["test"] & used["train"]),
    }
    return report


def _split_stats(rows: list[dict], enum_args: dict[str, list]) -> tuple[dict, dict, set]:
    tools: dict[str, int] = {}
    kinds: dict[str, int] = {}
    templates: set[str] = set()
    counts = {k: {json.dumps(v): 0 for v in values} for k, values in enum_args.items()}
    for row in rows:
        meta = row["meta"]
        templates.add(meta["template"])
        if meta["tool"] == NO_TOOL:
            kind = meta["kind"].split(":", 1)[1]
            kinds[kind] = kinds.get(kind, 0) + 1
            continue
        tools[meta["tool"]] = tools.get(meta["tool"], 0) + 1
        target = json.loads(row["messages"][-1]["content"])
        for arg, value in target["arguments"].items():
            table = counts.get(f"{meta['tool']}.{arg}")
            if table is not None:
                for v in (value if isinstance(value, list) else [value]):
                    key = json.dumps(v)
                    if key in table:
                        table[key] += 1
    no_tool = sum(kinds.values())
    stats = {"rows": len(rows), "no_tool": no_tool, "no_tool_share": round(no_tool / len(rows), 4) if rows else 0.0,
             "tools": dict(sorted(tools.items())), "negative_kinds": dict(sorted(kinds.items())),
             "templates_used": len(templates)}
    coverage = {k: {"covered": sum(c > 0 for c in table.values()), "total": len(table),
                    "missing": [json.loads(v) for v, c in table.items() if c == 0], "counts": table}
                for k, table in counts.items()}
    return stats, coverage, templates


def _gold(row: dict, i: int) -> dict:
    gold = {"id": f"test-{i:05d}", "prompt": row["messages"][1]["content"],
            "target": json.loads(row["messages"][-1]["content"])}
    return gold


def write_dataset(dataset: Dataset, out_dir: Union[str, Path]) -> Path:
    """Write train/val/test.jsonl, test.gold.jsonl and report.json into out_dir. Every file is
    written to a temporary name first and renamed at the end, so a failure leaves nothing half-written."""
    out = Path(out_dir)
    files = {f"{split}.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dataset.splits[split])
             for split in SPLITS}
    files["test.gold.jsonl"] = "".join(json.dumps(_gold(r, i), ensure_ascii=False) + "\n"
                                       for i, r in enumerate(dataset.splits["test"]))
    files["report.json"] = json.dumps(dataset.report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    temps = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            temps.append((tmp, out / name))
            os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; data files are ordinary files
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        for tmp, final in temps:
            os.replace(tmp, final)
    except OSError as e:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise ToolrouterError(f"cannot write the dataset to {out}: {e.strerror or e}; "
                              "pass a writable directory with --out") from None
    return out


def print_summary(dataset: Dataset, out_dir: Union[str, Path]) -> None:
    """A rich summary: rows, no_tool share and templates per split; rows per tool and per kind."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    rep = dataset.report
    table = Table(title=f"{rep['catalogue']} ({rep['mode']}{', robust' if rep.get('robust') else ''}) -> {out_dir}")
    for col in ("split", "rows", "no_tool", "share", "templates", "enum coverage"):
        table.add_column(col, justify="left" if col == "split" else "right")
    for split, s in rep["splits"].items():
        cov = rep.get("enum_coverage", {}).get(split, {})
        covered = sum(c["covered"] for c in cov.values())
        total = sum(c["total"] for c in cov.values())
        table.add_row(split, str(s["rows"]), str(s["no_tool"]), f"{s['no_tool_share']:.1%}",
                      str(s["templates_used"]), f"{covered}/{total}" if total else "-")
    console.print(table)
    per = Table(title="rows per tool / negative kind")
    per.add_column("target")
    for split in rep["splits"]:
        per.add_column(split, justify="right")
    keys = sorted({t for s in rep["splits"].values() for t in s["tools"]})
    kinds = sorted({k for s in rep["splits"].values() for k in s["negative_kinds"]})
    for key in keys:
        per.add_row(key, *[str(s["tools"].get(key, 0)) for s in rep["splits"].values()])
    for kind in kinds:
        per.add_row(f"no_tool:{kind}", *[str(s["negative_kinds"].get(kind, 0)) for s in rep["splits"].values()])
    console.print(per)
    if "templates" in rep:
        t = rep["templates"]
        tr = sum(v["train"] for v in t["per_tool"].values()) + sum(v["train"] for v in t["per_negative_kind"].values())
        te = sum(v["test"] for v in t["per_tool"].values()) + sum(v["test"] for v in t["per_negative_kind"].values())
        console.print(f"templates: {tr} train-side, {te} held out for test; bank: {rep['bank']}")
    for split, cov in rep.get("enum_coverage", {}).items():
        missing = {k: c["missing"] for k, c in cov.items() if c["missing"]}
        if missing and split == "train":
            console.print(f"[yellow]train misses enum values: {missing}[/yellow]")
    for w in rep.get("warnings", []):
        console.print(f"[yellow]warning: {w}[/yellow]")
    total = sum(s["rows"] for s in rep["splits"].values())
    if dataset.seconds:
        console.print(f"{total} rows in {dataset.seconds:.2f} s ({total / dataset.seconds:,.0f} rows/s)")


# ---------------------------------------------------------------------------------------------
# bring your own data: OpenAI fine-tuning JSONL

class _BadRow(Exception):
    pass


def import_openai(path: Union[str, Path], catalogue: Union[Catalogue, str, Path, None] = None,
                  mode: str = "compact") -> Dataset:
    """Read OpenAI fine-tuning JSONL (`messages` ending in an assistant turn with one tool call or
    plain content = no_tool, plus `tools`) into verified rows, split 80/10/10 by a hash of the
    request. Rows that do not validate are collected in `Dataset.problems` with their line numbers."""
    start = time.perf_counter()
    if mode not in MODES:
        raise ToolrouterError(f"--mode must be one of {', '.join(MODES)} (got {mode!r})")
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ToolrouterError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}; pass an existing "
                              "OpenAI fine-tuning .jsonl file") from None
    fixed = load_catalogue(catalogue) if catalogue is not None else None
    views: dict[str, tuple] = {}
    splits: dict[str, list[dict]] = {s: [] for s in SPLITS}
    problems, seen, duplicates, names = [], set(), 0, []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = _import_row(line, lineno, fixed, mode, views, str(path))
        except _BadRow as e:
            problems.append(f"line {lineno}: {e}")
            continue
        norm = _norm(row["messages"][1]["content"])
        if norm in seen:
            duplicates += 1
            continue
        seen.add(norm)
        bucket = zlib.crc32(norm.encode()) % 10
        splits["test" if bucket == 0 else "val" if bucket == 1 else "train"].append(row)
        names.append(row["meta"]["tool"])
    enum_cat = fixed or (next(iter(views.values()))[0] if len(views) == 1 else None)
    report = {"source": path.name, "catalogue": fixed.name if fixed else f"imported ({len(views)} tool set(s) from the rows)",
              "mode": mode, "rows_read": sum(1 for l in lines if l.strip()), "bad_rows": problems,
              "duplicates_skipped": duplicates, "splits": {}, "enum_coverage": {}}
    enum_args = _enum_args(enum_cat) if enum_cat else {}
    for split, rows in splits.items():
        report["splits"][split], report["enum_coverage"][split], _ = _split_stats(rows, enum_args)
    return Dataset(splits, report, seconds=time.perf_counter() - start, problems=problems)


def _import_row(line: str, lineno: int, fixed: Optional[Catalogue], mode: str, views: dict, source: str) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise _BadRow(f"not valid JSON ({e.msg} at character {e.pos})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list) or not obj["messages"]:
        raise _BadRow('expected an object with a non-empty "messages" list')
    catalogue = fixed
    if catalogue is None:
        tools = obj.get("tools")
        if not tools:
            raise _BadRow('no "tools" in the row; add them, or pass --catalogue')
        key = json.dumps(tools, sort_keys=True)
        if key not in views:
            try:
                views[key] = (catalogue_from_openai(tools, f"{source} line {lineno}", name="imported"),)
            except CatalogueError as e:
                raise _BadRow(f"tools: {'; '.join(e.problems)}") from None
        catalogue = views[key][0]
    messages = obj["messages"]
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        raise _BadRow("the last message must be the assistant's answer")
    user = next((m for m in reversed(messages[:-1]) if isinstance(m, dict) and m.get("role") == "user"), None)
    if user is None or not isinstance(user.get("content"), str) or not user["content"].strip():
        raise _BadRow("no user message with text before the assistant's answer")
    calls = last.get("tool_calls") or []
    if calls:
        if len(calls) != 1:
            raise _BadRow(f"the router answers one call; this answer has {len(calls)} tool_calls")
        fn = calls[0].get("function") if isinstance(calls[0], dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise _BadRow('a tool call needs {"function": {"name": ..., "arguments": ...}}')
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as e:
                raise _BadRow(f"{fn['name']}: arguments are not valid JSON ({e.msg})") from None
        if not isinstance(args, dict):
            raise _BadRow(f"{fn['name']}: arguments must be a JSON object")
        if fn["name"] not in catalogue:
            raise _BadRow(f"unknown tool {fn['name']!r}; the catalogue has {', '.join(catalogue.names)}")
        target = format_call(fn["name"], args, catalogue)
        result = parse_tool_call(target, catalogue)
        if result.kind != "call":
            raise _BadRow(f"{result.error}: {result.message}")
        meta = {"tool": fn["name"], "kind": "call", "template": f"import:{lineno}"}
    else:
        content = last.get("content")
        if not isinstance(content, str) or not content.strip():
            raise _BadRow("the assistant answer has neither tool_calls nor text (a no_tool needs its reason)")
        target = format_no_tool(content.strip())
        meta = {"tool": NO_TOOL, "kind": "no_tool:imported", "template": f"import:{lineno}"}
    row = {"messages": [{"role": "system", "content": catalogue.render(mode)},
                        {"role": "user", "content": user["content"]},
                        {"role": "assistant", "content": target}]}
    if mode == "template":
        row["tools"] = catalogue.to_openai()
    row["meta"] = meta
    return row


# ---------------------------------------------------------------------------------------------
# command line

def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="toolrouter data", description="Make or import verified SFT data.")
    sub = parser.add_subparsers(dest="action", required=True)
    build = sub.add_parser("build", help="generate synthetic rows from a catalogue and its phrasing bank")
    build.add_argument("--catalogue", required=True, help="built-in name or path (.py module or OpenAI-style .json)")
    build.add_argument("--out", required=True, help="directory for train/val/test.jsonl, test.gold.jsonl, report.json")
    build.add_argument("--n", type=int, default=2000, help="rows in all (80/10/10 train/val/test)")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--no-tool-ratio", type=float, default=0.15, help="no_tool share of every split, 0.10-0.20")
    build.add_argument("--mode", choices=MODES, default="compact", help="how the system prompt shows the catalogue")
    build.add_argument("--robust", action="store_true",
                       help="train/val prompts show shuffled tool subsets plus distractor tools")
    imp = sub.add_parser("import", help="verify and convert OpenAI fine-tuning JSONL")
    imp.add_argument("file")
    imp.add_argument("--out", required=True)
    imp.add_argument("--mode", choices=MODES, default="compact")
    imp.add_argument("--catalogue", default=None, help="catalogue for every row (default: each row's `tools`)")
    args = parser.parse_args(argv)

    if args.action == "build":
        dataset = build_dataset(args.catalogue, n=args.n, seed=args.seed, no_tool_ratio=args.no_tool_ratio,
                                mode=args.mode, robust=args.robust)
        write_dataset(dataset, args.out)
        print_summary(dataset, args.out)
        return 0
    dataset = import_openai(args.file, catalogue=args.catalogue, mode=args.mode)
    kept = sum(len(rows) for rows in dataset.splits.values())
    if kept:
        write_dataset(dataset, args.out)
        print_summary(dataset, args.out)
    if dataset.problems:
        shown = "\n".join(f"  {p}" for p in dataset.problems[:100])
        more = f"\n  ... and {len(dataset.problems) - 100} more (all in report.json)" if len(dataset.problems) > 100 else ""
        written = f"the {kept} valid rows were written to {args.out}" if kept else "nothing was written"
        raise ToolrouterError(f"{args.file}: {len(dataset.problems)} row(s) did not validate ({written}):\n"
                              f"{shown}{more}")
    return 0


if __name__ == "__main__":
    from .schema import run_cli

    sys.exit(run_cli(main))
