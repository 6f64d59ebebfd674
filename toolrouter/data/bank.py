"""Phrasing banks: the template language, slot samplers and the bank file of a catalogue.

A bank (`catalogues/<name>.bank.yaml`) holds, per tool, templates with slots, and per negative
kind, templates with a fixed reason. Template syntax: `{arg}` or `{arg:group}` is a slot (the
argument's value said one way), `(a|b|c)` one of several phrasings, `[x]` x or nothing. A slot's
surface form and its value are drawn together, so the target always says what the request says.
`toolrouter.data.pipeline` draws rows from a compiled bank; a tool without a bank entry gets the
draft made from its schema (`toolrouter.data.draft`, values from `toolrouter.data.values`).
"""
from __future__ import annotations

import json
import math
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import FREE_TEXT_KEY, ToolrouterError
from toolrouter.errors import validation_lines
from toolrouter.io import read_yaml

try:  # the stdlib regex parser, used to generate IDs that follow a declared pattern
    from re import _parser as _sre
except ImportError:  # Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

NEGATIVE_KINDS = ("greeting", "domain_question", "out_of_scope", "missing_argument", "near_miss")
# Decoration of a core ask. Prefix/suffix pools are shared by all splits: the held-out unit is
# the core template, and shared decoration keeps unseen templates in-distribution.
P_PREFIX, P_SUFFIX, P_LOWER, P_CAP, P_TYPO, P_COMBO = 0.25, 0.30, 0.25, 0.55, 0.08, 0.3
PREFIXES = ["hi, ", "hello, ", "hey, ", "hi there. ", "good morning, ", "ok so ", "quick one: ", "hey there! ",
            "um, ", "so, ", "yo, ", "hello! "]
SUFFIXES = [", thanks", " thanks!", ". thank you", " please", ", please.", " thx", "!", " asap", ". cheers",
            ", ty", " pls", ". much appreciated"]
# Asides: clauses people add around an ask that carry no value and change nothing it asks ("it's been a long
# day", "my friend recommended this"). Requests of a drafted bank get one at ASIDE_SHARE, before or after the
# ask, so a router learns that a clause it has never seen is not an argument nor another tool. Written to
# hold no value of any kind: no digit, name, place, day or time word, no quantity, urgency or negation ("now",
# "late", "asap", "not", "again", "every"), none of which an aside may say without changing an answer.
ASIDES = [
    "hope you're doing well", "hope this is the right place", "it's been a long day", "it's been quite a day",
    "first time using this", "first time trying this app", "my friend told me about this",
    "my sister recommended this", "this is for my dad", "asking for my mom", "asking on behalf of my boss",
    "my partner asked me to sort this out", "I keep forgetting to do this", "been meaning to do this for a while",
    "while I think of it", "before I forget", "just to be safe", "just in case", "to be honest",
    "for what it's worth", "if that's possible", "if you can", "if it's any trouble, say so", "I'd really appreciate it",
    "that would be great", "that would help a lot", "you're a lifesaver", "fingers crossed", "wish me luck",
    "I hope this works", "sorry to bother you", "sorry if this is a silly question", "sorry for the trouble",
    "quick question", "one more thing", "I almost forgot", "my phone is about to die", "typing this on my phone",
    "excuse the typos", "long story", "it's a long story", "you know how it is", "I'm trying to get organised",
    "just planning ahead", "trying to get ahead of things", "my calendar is a mess", "things have been hectic",
    "work has been crazy", "the kids are asleep", "I'm on my break", "I'm between meetings",
    "just got out of a meeting", "I just got off the phone", "I've had a rough day", "I'm exhausted",
    "I'm so tired", "feeling a bit lost", "I'm new to this", "my husband usually does this",
    "my wife usually handles this", "my assistant is out", "trying this out", "let's see if this works",
    "ok, let's try", "bear with me", "hopefully this makes sense", "if I'm doing this right", "if that makes sense",
    "I think that's it", "that's everything I need", "that should do it", "I think that covers it",
    "appreciate your help", "you guys are great", "love this app", "this app is handy", "big fan of this service",
    "my friend swears by this", "my coworker suggested asking you", "I read about this online",
    "saw this in the newsletter", "got your email about it", "as discussed", "it's a special occasion",
    "we're celebrating", "my in-laws are visiting", "we have guests over", "trying to save a bit",
    "I'm trying to stay on budget", "what a day", "ugh", "oh well", "honestly", "I've been putting this off",
    "my memory is terrible", "I'm hopeless with this stuff", "bit of a weird one", "random question",
    "this might sound strange", "hoping you can help", "hoping someone can help", "could use a hand",
    "got a favour to ask", "I'll keep it short", "I'll be quick", "thanks in advance", "much obliged", "you rock",
]
ASIDE_SHARE = 0.25  # of a drafted bank's requests (BankSpec.aside_share overrides it, for banked tools too)

# Fallback pools of string slots a bank declares without a pool (generic tools get toolrouter.data.values).
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


class _Table:
    """A fixed table of values and the ways each is said ("08:15" -> "quarter past eight", 60 ->
    "an hour"): the value goes in the target, one of its surfaces in the request. Tables of 20+
    values are split by the hash rule, so test values are ones train never used."""

    copy, after = False, 0

    def __init__(self, table: dict):
        self.table = table
        keys = list(table)
        if len(keys) >= 20:
            self.sides = {side: [k for k in keys if _held_out(json.dumps(k)) == side] or keys for side in (False, True)}
        else:
            self.sides = {False: keys, True: keys}
        self.decks: dict = {}

    def sample(self, rng, split, group, ctx):
        side = split == "test"
        deck = self.decks.get(side)
        if not deck:
            deck = self.decks[side] = list(self.sides[side])
            rng.shuffle(deck)
        v = deck.pop()
        return v, rng.choice(self.table[v])


class _Spoken:
    """A time, date, date-time or number drawn from the whole valid range and said one of the ways
    people say it (`toolrouter.data.values`): "08:15" as "quarter past eight", 60 minutes as "an
    hour". Every value can come up, so the router learns to read values, not to recall them; the
    hash rule keeps test values apart from train ones."""

    copy, after = False, 0

    def __init__(self, say: str, lo: int = 1, hi: int = 100, unit: Optional[str] = None, pattern: Optional[str] = None):
        from toolrouter.data import values

        self.say, self.lo, self.hi, self.unit, self.pattern, self.values = say, lo, hi, unit, pattern, values
        if say == "number" and unit is not None and unit not in values.UNITS and not re.fullmatch(r"[a-z]{3,}s", unit):
            raise ValueError(f"unknown unit {unit!r}; one of: {', '.join(values.UNITS)}, or a plural noun a whole "
                             f"number counts (\"glasses\" says 3 as \"3 glasses\")")
        # surface groups a template may name: {minutes:adj} says "a 25-minute timer"
        self.formats = {"": 0, "adj": 0} if say == "number" and unit else {"": 0}

    def sample(self, rng, split, group, ctx):
        side = split == "test"
        for _ in range(50):
            v = self.values.draw(self.say, rng, self.lo, self.hi)
            if self.pattern and not re.search(self.pattern, str(v)):
                continue
            if (self.say == "number" and self.hi - self.lo < 20) or _held_out(str(v)) == side:
                break
        if group == "adj":
            return v, rng.choice(self.values.say_adjective(v, self.unit))
        forms = self.values.say(self.say, v, self.unit)
        # the plain form (the value itself, digits with their unit) 40 % of the time: a verbatim copy
        # is what a small model learns first, and the spoken forms build on it
        return v, forms[0] if rng.random() < 0.4 else rng.choice(forms)


def _table(spec: SlotSpec, kind: Optional[str]) -> _Table:
    table = {}
    for key, surfaces in spec.values.items():
        if not surfaces or not all(isinstance(x, str) and x for x in surfaces):
            raise ValueError(f"value {key!r} needs a non-empty list of surface forms")
        if kind == "integer":
            value: Any = int(key)
        elif kind == "number":
            value = float(key) if not float(key).is_integer() else int(float(key))
        elif kind in ("string", None):
            value = str(key)
        else:
            raise ValueError(f"`values` tables are for strings and numbers, not {kind!r}")
        table[value] = list(surfaces)
    if not table:
        raise ValueError("`values` is empty")
    return _Table(table)


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


def _on_side(draw, side: bool, tries: int = 40) -> str:
    """A drawn text on the split's side of the hash rule (the last draw if `tries` miss it)."""
    for _ in range(tries):
        v = draw()
        if _held_out(v) == side:
            break
    return v


class _Text:
    """Free text or a name, copied verbatim into the target: value == surface form, so the model
    learns to copy a span. Pools are split by the hash rule; `compose` joins one part of each list."""

    copy, after = True, 0

    def __init__(self, pool: list[str], compose: list[list[str]], groups: Optional[dict[str, list[str]]] = None,
                 novel: float = 0.0, pattern: Optional[str] = None, provider: Optional[str] = None):
        # pattern: a lower-cased request keeps the value as the pattern has it ("usd" -> USD); provider:
        # where the values come from (copying reads an email's shape from it)
        self.novel, self.pattern, self.provider = novel, pattern, provider
        self.sides = {side: [t for t in pool if _held_out(t) == side] or pool for side in (False, True)}
        self.pool, self.compose = pool, compose
        # a group is its own pool ({reason:bare}: the whole ask is the reason, "human agent please")
        self.groups = {g: {side: [t for t in p if _held_out(t) == side] or p for side in (False, True)}
                       for g, p in (groups or {}).items()}
        self.formats = {"": 0, **dict.fromkeys(self.groups, 0)}  # the surface groups a template may name

    def sample(self, rng, split, group, ctx):
        side = split == "test"
        if group:
            v = rng.choice(self.groups[group][side])
            return v, v
        if self.novel and rng.random() < self.novel:  # words from a list far too long to memorise: copy them
            from toolrouter.data.values import novel_value

            v = _on_side(lambda: novel_value(rng), side)
            return v, v
        if self.compose and (not self.pool or rng.random() < 0.5):
            v = _on_side(lambda: " ".join(rng.choice(part) for part in self.compose), side)
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
    values: Optional[dict[Any, list[str]]] = None  # any non-enum argument: value -> the ways it is said
    say: Optional[Literal["time", "date", "datetime", "number"]] = None  # drawn and said by toolrouter.data.values
    unit: Optional[str] = None  # say: number: "minute" -> "an hour" for 60
    provider: Optional[str] = None  # strings: a value provider of toolrouter.data.values (city, person, ...)
    novel: float = Field(default=0.0, ge=0.0, le=1.0)  # free text: share of made-up values (values.novel_value)


class GroupSpec(_Strict):
    reason: str
    templates: list[str]
    slots: dict[str, SlotSpec] = {}
    tool: Optional[str] = None  # its templates may say this tool's argument slots ("cancel order {order_id}")


class MissingSpec(_Strict):
    args: list[str]
    templates: list[str]


class ToolBankSpec(_Strict):
    unsupported: Optional[str] = None  # what the tool does, for "not supported: ..." when it is not shown
    slots: dict[str, SlotSpec] = {}
    templates: list[str]
    # templates of the user's own example requests (the draft learns them from the tool's `examples`): said
    # EXAMPLE_SHARE of the tool's requests and never held out, so the way the user asks is learned first
    examples: list[str] = []
    missing: list[MissingSpec] = []


class FollowUpSpec(_Strict):
    """Follow-ups of an earlier call (used when a recipe asks for conversations): what the user says next."""

    say: list[str]  # templates; their slots are arguments of the answer's tool, said anew (a changed value)
    tool: Optional[str] = None  # the answer's tool when it is not the earlier call's ("faster" after a set)
    keep: Optional[list[str]] = None  # earlier arguments carried over; default: every one the answer's tool has
    set: dict[str, Any] = {}  # arguments the follow-up fixes ("with the history too": include_history true)


class ConversationBankSpec(_Strict):
    """How conversations are made from this bank (toolrouter.data.conversation)."""

    follow_ups: dict[str, list[FollowUpSpec]] = {}  # the earlier call's tool -> what may follow it
    combinations: list[list[str]] = []  # tools asked for together in one request ("lock up and lights on")
    connectives: Optional[list[str]] = None  # how two asks are joined: " and ", ", then "
    results: dict[str, list[str]] = {}  # tool -> plausible results (JSON text) for the history's tool turns


class BankSpec(_Strict):
    shared: Any = None  # free space for YAML anchors
    # Share of requests given one to three common English words no template or slot says ("will it *snow* in
    # Denver", "any *good* thai places", "..., *money* *object*"), never next to a value, meant to teach a
    # router that a word it does not know is not a value unless its phrase says so. Off by default: at 0.3
    # the tiny scratch base did not stop copying such words (docs/data.md has the numbers).
    filler: float = Field(0.0, ge=0, le=1)
    conversations: ConversationBankSpec = ConversationBankSpec()
    prefixes: Optional[list[str]] = None
    suffixes: Optional[list[str]] = None
    # Asides (ASIDES, or yours: "my brakes have been squeaking") said around that share of requests. Unset:
    # ASIDE_SHARE for what the schema drafts (a tool with no bank entry, generic negatives), none for the rest.
    asides: Optional[list[str]] = None
    aside_share: Optional[float] = Field(None, ge=0, le=1)
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


def missing_reason(args, tool: str) -> str:
    """The no_tool reason of a request that leaves required `args` of `tool` out: "missing date and time for
    book_study_room" (MISSING_REASON reads it back: formats.copy checks it against the request)."""
    return f"missing {' and '.join(args)} for {tool}"


MISSING_REASON = re.compile(r"missing ([a-z0-9_, ]+?) for ([A-Za-z0-9_.-]+)")


def read_bank(path: Path) -> BankSpec:
    """Read and check a bank file's shape; every problem is reported at once."""
    data = read_yaml(path, source=f"phrasing bank {path}") or {}
    try:
        return BankSpec.model_validate(data)
    except ValidationError as e:
        lines = validation_lines("", e, BankSpec)
        raise ToolrouterError(f"phrasing bank {path}: {len(lines)} problem(s):\n"
                              + "\n".join(f"  - {line}" for line in lines)) from None


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
    filler: float = 0.0  # share of its requests given filler words (BankSpec.filler)
    aside: float = 0.0  # share of its requests given an aside (BankSpec.aside_share)
    example: bool = False  # learned from the user's example requests (ToolBankSpec.examples)


@dataclass
class _FollowUp:
    tpl: _Template  # its slots are arguments of `tool`
    tool: str
    keep: Optional[list[str]]
    fixed: dict


CONNECTIVES = [" and ", " and ", ", and ", ", then ", " and also ", ". also ", " then ", ", plus "]


class _Compiled:
    """A bank compiled against a catalogue: templates per tool and per negative kind, samplers."""

    def __init__(self, catalogue: Catalogue, spec: Optional[BankSpec], source: str):
        self.catalogue, self.source = catalogue, source
        spec = spec or BankSpec()
        self.prefixes = spec.prefixes if spec.prefixes is not None else PREFIXES
        self.suffixes = spec.suffixes if spec.suffixes is not None else SUFFIXES
        self.asides = spec.asides if spec.asides is not None else ASIDES

        def extras(tpl: _Template, drafted: bool) -> None:
            """A decorated template's shares of filler words and asides (asides: ASIDE_SHARE where drafted)."""
            tpl.filler = spec.filler if tpl.decorate else 0.0
            share = spec.aside_share if spec.aside_share is not None else ASIDE_SHARE if drafted else 0.0
            tpl.aside = share if tpl.decorate else 0.0
        self.tools: dict[str, list[_Template]] = {}
        self.negatives: dict[str, list[_Template]] = {k: [] for k in NEGATIVE_KINDS}
        self.unsupported: dict[str, str] = {}
        self.samplers: dict[str, dict] = {}
        problems: list[str] = []
        drafted = None
        shared = None  # the catalogue's examples by field name, for the tools drafted from the schema
        # Bank entries of tools the catalogue lacks are ignored: a subset shares its parent's bank.
        for tool in catalogue:
            tbank = spec.tools.get(tool.name)
            where = f"tools.{tool.name}"
            generic = tbank is None
            if generic:  # no bank entry: the draft made from the schema (toolrouter.data.draft)
                from toolrouter.data.draft import draft_tool, shared_examples

                if shared is None:
                    shared = shared_examples(catalogue)
                tbank = ToolBankSpec.model_validate(draft_tool(tool, shared))
            samplers = {}
            for arg, schema in tool.properties.items():
                slot = (tbank.slots.get(arg) if tbank else None) or spec.slots.get(arg)
                try:
                    samplers[arg] = _sampler(arg, schema, slot)
                except ValueError as e:
                    problems.append(f"{where}.slots.{arg}: {e}")
            self.samplers[tool.name] = samplers
            if not generic:
                for name in tbank.slots:
                    if name not in tool.properties:
                        problems.append(f"{where}.slots.{name}: {tool.name} has no argument {name!r} "
                                        f"(arguments: {', '.join(tool.properties) or 'none'})")
            texts, missing = tbank.templates, [(m.args, m.templates) for m in tbank.missing]
            self.unsupported[tool.name] = tbank.unsupported or tool.name.replace("_", " ")
            calls = []
            for i, text in enumerate(texts):
                tpl = self._template(f"{tool.name}/{i:02d}", text, samplers, "call", f"{where}.templates[{i}]",
                                     problems, tool=tool.name)
                if tpl:
                    extras(tpl, generic)
                    calls.append(tpl)
            for i, text in enumerate(tbank.examples):
                tpl = self._template(f"{tool.name}/example{i:02d}", text, samplers, "call",
                                     f"{where}.examples[{i}]", problems, tool=tool.name)
                if tpl:
                    extras(tpl, generic)
                    tpl.example = True
                    calls.append(tpl)
            self.tools[tool.name] = calls
            n = 0
            for j, (args, group) in enumerate(missing):
                bad = [a for a in args if a not in tool.required]
                if bad:
                    problems.append(f"{where}.missing[{j}].args: {bad} are not required arguments of {tool.name} "
                                    f"(required: {', '.join(tool.required) or 'none'})")
                    continue
                reason = missing_reason(args, tool.name)
                present = {a: s for a, s in samplers.items() if a not in args}
                for k, text in enumerate(group):
                    tpl = self._template(f"missing_argument/{tool.name}/{n:02d}", text, present, "missing_argument",
                                         f"{where}.missing[{j}].templates[{k}]", problems, tool=tool.name,
                                         reason=reason, extra=spec.slots, forbid=args)
                    n += 1
                    if tpl:
                        extras(tpl, generic)
                        self.negatives["missing_argument"].append(tpl)
        for kind in ("greeting", "domain_question", "out_of_scope", "near_miss"):
            groups = spec.negatives.get(kind)
            generic = groups is None
            if groups is None:  # generic negatives from the schema, minus topics the catalogue does handle
                if drafted is None:
                    from toolrouter.data.draft import negative_groups

                    drafted = negative_groups(catalogue)
                groups = [GroupSpec.model_validate(g) for g in drafted[kind]]
            n = 0
            for j, group in enumerate(groups):
                local = {}
                if group.tool is not None:
                    if group.tool not in self.samplers:
                        problems.append(f"negatives.{kind}[{j}].tool: no tool {group.tool!r} in the catalogue "
                                        f"(tools: {', '.join(self.samplers)})")
                        continue
                    local = dict(self.samplers[group.tool])
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
                        extras(tpl, generic)
                        self.negatives[kind].append(tpl)
        self._conversations(spec.conversations, problems)
        if problems:
            raise ToolrouterError(f"phrasing bank {source}: {len(problems)} problem(s):\n"
                                  + "\n".join(f"  - {p}" for p in problems))

    def _conversations(self, spec: ConversationBankSpec, problems: list[str]) -> None:
        """Follow-ups (declared, else drafted from the schema), combinations, connectives and results.
        Compiled always (cheap, draws nothing): single-turn rows never look at them."""
        from toolrouter.data.draft import draft_follow_ups

        self.follow_ups: dict[str, list[_FollowUp]] = {}
        self.connectives = spec.connectives or CONNECTIVES
        self.results: dict[str, list[str]] = {}
        names = set(self.catalogue.names)
        for after in self.catalogue.names:
            declared = spec.follow_ups.get(after)
            where = f"conversations.follow_ups.{after}"
            ups = declared if declared is not None else [FollowUpSpec.model_validate(f)
                                                       for f in draft_follow_ups(self.catalogue[after])]
            compiled = []
            for j, up in enumerate(ups):
                tool = up.tool or after
                if tool not in names:  # a bank shared by a subset: the answer's tool is not in this catalogue
                    if up.tool is not None and not declared:
                        problems.append(f"{where}[{j}].tool: unknown tool {tool!r}")
                    continue
                props = self.catalogue[tool].properties
                bad = [k for k in [*(up.keep or []), *up.set] if k not in props]
                if bad:
                    problems.append(f"{where}[{j}]: {tool} has no argument(s) {bad} "
                                    f"(arguments: {', '.join(props) or 'none'})")
                    continue
                for k, text in enumerate(up.say):
                    tpl = self._template(f"follow_up/{after}/{j:02d}.{k:02d}", text, self.samplers[tool], "follow_up",
                                         f"{where}[{j}].say[{k}]", problems, tool=tool)
                    if tpl:
                        tpl.decorate = False
                        compiled.append(_FollowUp(tpl, tool, up.keep, up.set))
            self.follow_ups[after] = compiled
        self.combinations = [c for c in spec.combinations if set(c) <= names]
        for j, combo in enumerate(spec.combinations):
            if len(combo) < 2:
                problems.append(f"conversations.combinations[{j}]: a combination names two or three tools (got {combo})")
        for tool, texts in spec.results.items():
            for k, text in enumerate(texts):
                try:
                    json.loads(text)
                except json.JSONDecodeError as e:
                    problems.append(f"conversations.results.{tool}[{k}]: not JSON text ({e.msg}): {text!r}")
            if tool in names:
                self.results[tool] = texts

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
    if spec and spec.values is not None:
        return _table(spec, kind)
    if spec and spec.say:
        if spec.say == "number" and kind not in ("integer", "number"):
            raise ValueError(f"say: number is for integer/number arguments, not {kind!r}")
        if spec.say != "number" and kind != "string":
            raise ValueError(f"say: {spec.say} is for string arguments, not {kind!r}")
        lo, hi = 1, 100
        if spec.say == "number":
            from toolrouter.data.values import number_bounds

            lo, hi = spec.range or number_bounds(schema, name)
        return _Spoken(spec.say, lo, hi, spec.unit, schema.get("pattern"))
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
        if pattern and not (spec and spec.provider):
            return _Pattern(pattern, spec.repeat if spec else (1, 6), _formats(spec, ["{}"]))
        if spec and spec.provider:
            from toolrouter.data.values import PROVIDERS, provider_pool

            if spec.provider not in PROVIDERS:
                raise ValueError(f"unknown provider {spec.provider!r}; one of: {', '.join(PROVIDERS)}")
            lo_len, hi_len = schema.get("minLength", 0), schema.get("maxLength", 10 ** 6)
            pool = [t for t in provider_pool(spec.provider, name, spec.pool or []) if lo_len <= len(t) <= hi_len
                    and (not pattern or re.search(pattern, t))]  # a provider under a pattern: its valid values
            return _Text(pool or ["x" * max(1, lo_len)], spec.compose or [], novel=spec.novel, pattern=pattern,
                         provider=spec.provider)
        pool = (spec.pool if spec else None) or ([] if spec and spec.compose else
                                                 GENERIC_TEXT if schema.get(FREE_TEXT_KEY) else GENERIC_WORDS)
        lo_len, hi_len = schema.get("minLength", 0), schema.get("maxLength", 10 ** 6)
        pool = [t for t in pool if lo_len <= len(t) <= hi_len] or ["x" * max(1, lo_len)]
        groups = spec.groups if spec else {}
        for name, texts in groups.items():
            if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
                raise ValueError(f"group {name!r} of free text must be a non-empty list of strings")
        return _Text(pool, (spec.compose if spec else None) or [], groups, novel=spec.novel if spec else 0.0)
    if kind == "object":
        props = {k: _sampler(k, v, None) for k, v in schema.get("properties", {}).items()}
        return _Object(props, list(schema.get("required", [])))
    raise ValueError(f"cannot generate values of type {kind!r}")


def _free_sampler(spec: SlotSpec):
    """A slot of a negative template (no schema): pattern, pool, number range or keyed forms."""
    if spec.pattern:
        return _Pattern(spec.pattern, spec.repeat, _formats(spec, ["{}"]))
    if spec.values is not None:
        return _table(spec, None)
    if spec.pool or spec.compose:
        return _Text(spec.pool or [], spec.compose or [])
    if spec.range:
        return _Number(spec.range[0], spec.range[1], True, 0.0, _formats(spec, ["{}"]))
    if spec.forms:
        keys = list(spec.forms)
        return _Choice(keys, {"": {i: list(spec.forms[k]) for i, k in enumerate(keys)}})
    raise ValueError("a slot needs one of: pattern, pool, compose, range, forms, values")
