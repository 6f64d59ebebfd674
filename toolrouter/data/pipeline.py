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
import random
import re
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union


from toolrouter.core.catalogue import BUILTIN_DIR, MODES, PACKAGE_DIR, Catalogue, CatalogueError, catalogue_from_openai, load_catalogue
from toolrouter.formats import FORMATS, get_format, target_of_row
from toolrouter.formats.parse import format_call, format_no_tool, parse_tool_call
from toolrouter.data.bank import (NEGATIVE_KINDS, P_CAP, P_LOWER, P_PREFIX, P_SUFFIX, P_TYPO, _Choice, _Compiled, _expand, _Slot,
                   _Pattern, _Template, _key, bank_path, compile_template, read_bank)  # noqa: F401 (re-exported)
from toolrouter.core.schema import NO_TOOL, ToolrouterError, spec_from_openai
from toolrouter.io import jsonl_lines, jsonl_text, publish_folder, read_jsonl

SPLITS = ("train", "val", "test")
SHARES = {"val": 0.10, "test": 0.10}  # of rows; train gets the rest
RATIO_RANGE = (0.10, 0.20)  # the no_tool share of every split; recipes are checked by the same rule
HOLDOUT = 0.18  # share of each tool's / negative kind's templates kept for the test split only
# share of a tool's training requests said by the templates of its own example requests (ToolBankSpec.examples):
# one template among ~50 drafted ones, the way the user asks was 2 % of the data
EXAMPLE_SHARE = 0.2
ATTEMPTS = 40  # duplicate draws in a row before a tool or kind counts as exhausted

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
_SPACE_PUNCT = re.compile(r" ([,.?!;:])")
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


def _add_typo(parts: list, rng) -> None:
    """One typo in one word of a literal part (never in a copied value or an enum surface), in place."""
    spots = [(i, m) for i, (p, lit) in enumerate(parts) if lit for m in _WORD.finditer(p)]
    if spots:
        i, m = rng.choice(spots)
        p = parts[i][0]
        parts[i] = (p[:m.start()] + _typo(m.group(), rng) + p[m.end():], True)


# Words filler never uses although Faker's list has them: they change what a request asks (a negation, a
# number, a time or a date said in words would need an argument the answer does not have).
_NOT_FILLER = frozenset("""no not never none nothing without yes stop change cancel delete remove late later early
soon now today tonight tomorrow yesterday morning evening afternoon night day week weekend month year hour
minute second season summer winter spring fall first third half one two three four five six seven eight nine
ten hundred thousand million""".split())


def filler_words(catalogue: Catalogue, bank: _Compiled) -> tuple[str, ...]:
    """Faker's common English words (its en_US lorem list, fixed order) that neither the catalogue nor any
    template, prefix, suffix or aside (where requests get asides) of the bank says: words a router trained on
    this bank has never seen, as a person's request is full of ("will it *snow* in Denver", "any *good*
    places"), never numbers, times, negations or cancellations (_NOT_FILLER)."""
    from faker.providers.lorem.en_US import Provider

    known = set(_WORDS.findall(json.dumps(catalogue.to_openai()).lower()))
    templates = [t for ts in bank.tools.values() for t in ts] + [t for ts in bank.negatives.values() for t in ts]
    templates += [f.tpl for ups in bank.follow_ups.values() for f in ups]
    for t in templates:
        known |= _literal_words(t.seq)
    for text in [*bank.prefixes, *bank.suffixes, *(bank.asides if any(t.aside for t in templates) else ())]:
        known.update(_WORDS.findall(text.lower()))
    for samplers in bank.samplers.values():  # the words enum values are said in ("a high-end car")
        for sampler in samplers.values():
            for table in (getattr(sampler, "forms", None) or {}).values():
                for surfaces in (table.values() if isinstance(table, dict) else ()):
                    known.update(_WORDS.findall(" ".join(map(str, surfaces)).lower()))
    return tuple(w for w in (w.lower() for w in Provider.word_list)
                 if w.isalpha() and len(w) > 2 and w not in known and w not in _NOT_FILLER)


def _add_filler(parts: list, words: tuple, values: dict, rng: random.Random) -> None:
    """One to three filler words (filler_words) in place: inside a literal part between two of its words, or
    as a closing clause after a comma. Never next to a value, so a value's span and the phrase that says
    which argument it is ("in", "from", "to") stay as the template wrote them; never a word a value says."""
    said = set(_WORDS.findall(" ".join(str(v) for v in values.values()).lower()))
    pool = [w for w in (rng.choice(words) for _ in range(6)) if w not in said]
    if not pool:
        return
    sites = [(i, m.start()) for i, (p, lit) in enumerate(parts) if lit is True for m in _INSIDE.finditer(p)]
    if not sites or rng.random() < 0.3:
        clause = ", " + " ".join(pool[:rng.choice((1, 2, 2, 3))])
        last, lit = parts[-1]
        end = _END_PUNCT.search(last)
        if lit is True and end:  # before the closing "?" the template wrote
            parts[-1] = (last[:end.start()] + clause + last[end.start():], True)
        else:
            parts.append((clause, True))
        return
    for w in pool[:rng.choice((1, 1, 2))]:
        i, at = rng.choice(sites)
        p = parts[i][0]
        parts[i] = (p[:at] + " " + w + p[at:], True)
        sites = [(i, m.start()) for i, (p, lit) in enumerate(parts) if lit is True for m in _INSIDE.finditer(p)]


def _add_aside(parts: list, asides: list, rng: random.Random) -> None:
    """An aside (bank.ASIDES) before the ask ("it's been a long day, book ...") or after it ("book ... - my
    friend recommended this"); a separator after a closing "?" folds into it (_clean)."""
    text = rng.choice(asides)
    if rng.random() < 0.5:
        parts.insert(0, (text + rng.choice(_ASIDE_BEFORE), True))
    else:
        opening, closing = rng.choice(_ASIDE_AFTER)
        parts.append((opening + text + closing, True))


_ASIDE_BEFORE = (", ", ", ", ". ", "; ", " - ", "... ")
_ASIDE_AFTER = ((", ", ""), (", ", ""), (". ", ""), (" - ", ""), (" (", ")"), ("... ", ""))
_END_PUNCT = re.compile(r"[.?!]+\s*$")
_INSIDE = re.compile(r"(?<=[A-Za-z',])(?= [A-Za-z])")  # between two words of one literal part


# Surface casing beyond bank.P_LOWER / P_CAP: a router must answer the same in every casing.
P_TITLE, P_UPPER = 0.07, 0.06  # Title Case / ALL CAPS on the words around the values, kept verbatim
P_BARE, P_STOP = 0.15, 0.08  # drop the closing punctuation; add one where there is none
P_TWIN = 0.5  # a call with a polar choice gets its contrastive twin this often (the twin takes a call slot)
# Polar pairs of enum words: values that differ in one such word ("tilt-forward"/"tilt-backward") or by
# an un-/de-/dis- prefix ("lock"/"unlock", "activate"/"deactivate") make contrastive twins.
POLAR = [("increase", "decrease"), ("up", "down"), ("raise", "lower"), ("higher", "lower"), ("more", "less"),
         ("on", "off"), ("open", "close"), ("opened", "closed"), ("start", "stop"), ("forward", "backward"),
         ("forwards", "backwards"), ("in", "out"), ("warmer", "cooler"), ("hotter", "colder"), ("high", "low"),
         ("faster", "slower"), ("show", "hide"), ("add", "remove"), ("left", "right"), ("enable", "disable"),
         ("plus", "minus"), ("next", "previous"), ("yes", "no"), ("allow", "deny"), ("accept", "reject")]
_POLAR = {frozenset(p) for p in POLAR}


def _polar_words(a: str, b: str) -> bool:
    return frozenset((a, b)) in _POLAR or any(x == p + y for x, y in ((a, b), (b, a)) for p in ("un", "de", "dis"))


def opposite(sampler, value: Any) -> Any:
    """The polar counterpart of a choice's value (None if it has none): True/False when both are said in
    words, else the value whose words differ from `value`'s in exactly one polar pair."""
    if not isinstance(sampler, _Choice):
        return None
    if isinstance(value, bool):
        table = sampler.forms.get("", {})
        said = all(any(f.strip() for f in table.get(sampler.index.get(_key(v)), [])) for v in (True, False))
        return (not value) if said and set(sampler.values) == {True, False} else None
    if not isinstance(value, str):
        return None
    words = re.split(r"[-_ ]+", value.lower())
    for other in sampler.values:
        if not isinstance(other, str) or other == value:
            continue
        theirs = re.split(r"[-_ ]+", other.lower())
        diff = [(a, b) for a, b in zip(words, theirs) if a != b]
        if len(theirs) == len(words) and len(diff) == 1 and _polar_words(*diff[0]):
            return other
    return None
_TITLE = re.compile(r"(^|[\s(\"])([a-z])")


def _title(text: str) -> str:
    return _TITLE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _lower_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [_lower_value(v) for v in value]
    return value


class _Builder:
    def __init__(self, catalogue: Catalogue, bank: _Compiled, mode: str, robust: bool, fmt=None):
        self.catalogue, self.bank, self.mode, self.robust = catalogue, bank, mode, robust
        self.fmt = fmt or get_format("json")  # the answer format: system prompt, tools column, assistant message
        self.seen: set[str] = set()
        self.duplicates = 0
        self.views: dict[tuple, tuple] = {}
        self.full = self._view(tuple(catalogue.names))
        self.distractors = [(spec_from_openai(d, "distractor")[0], covers) for d, covers in DISTRACTORS
                            if robust and d["function"]["name"] not in catalogue]
        self.decks: dict = {}
        self.sides: dict = {}
        self.pending: dict[str, list[dict]] = {}  # contrastive twins waiting for a call slot of their split
        self.polar = None
        self.filler: Optional[tuple] = None  # filler_words, found at the first request that wants them

    def _view(self, names: tuple) -> tuple:
        """(catalogue, system prompt, tools list) of the catalogue shown, cached by tool order."""
        view = self.views.get(names)
        if view is None:
            specs = [self.catalogue[n] if n in self.catalogue else self._distractor(n) for n in names]
            shown = Catalogue(specs, name=self.catalogue.name, source=self.catalogue.source)
            view = self.views[names] = (shown, self.fmt.system_prompt(shown, self.mode),
                                        self.fmt.template_tools(shown, self.mode))
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

    def _call(self, split: str, tool: str, side: str, rng: random.Random):
        """A call template of `tool`: one of its example templates EXAMPLE_SHARE of the time (train side,
        where it has them), else the next of its deck."""
        key = (tool, side, "parts")
        if key not in self.sides:  # split once per tool and side, not per row
            templates = self._side(self.bank.tools[tool], side)
            self.sides[key] = ([t for t in templates if t.example],
                               [t for t in templates if not t.example] or templates)
        examples, drafted = self.sides[key]
        if examples and rng.random() < EXAMPLE_SHARE:
            return self._deck((split, tool, "example"), examples, rng)
        return self._deck((split, tool), drafted, rng)

    def _deck(self, key, items, rng):
        deck = self.decks.get(key)
        if not deck:
            deck = self.decks[key] = list(items)
            rng.shuffle(deck)
        return deck.pop()

    def render(self, tpl: _Template, split: str, rng: random.Random, plain: bool = False,
               ctx: Optional[dict] = None) -> tuple[str, dict]:
        """One request from a template: (text, arguments said). `plain` (a part of a longer request, a
        follow-up): no decoration, casing or closing punctuation. `ctx`: arguments already known (a
        follow-up keeps them), which value ranges may depend on; they are returned with the said ones."""
        items: list = []
        _expand(tpl.seq, rng, items)
        values: dict = dict(ctx) if ctx else {}
        parts = [(it, True) for it in items]
        self.polar = None  # (arg, group, surface, opposite value) of the first polar choice said (contrastive_twin)
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
                    other = opposite(sampler, values[it.arg]) if self.polar is None else None
                    if other is not None and sum(1 for x in items if type(x) is _Slot and x.arg == it.arg) == 1:
                        self.polar = (it.arg, it.group, surface, other)
                if not sampler.copy and not isinstance(sampler, _Pattern):
                    parts[i] = (parts[i][0], None)  # an enum or number surface: not copied, its case is free
        if plain:
            if rng.random() < P_TYPO:
                _add_typo(parts, rng)
            return _clean("".join(p for p, _ in parts)).rstrip(".!?"), values
        if tpl.filler and rng.random() < tpl.filler:
            if self.filler is None:
                self.filler = filler_words(self.catalogue, self.bank)
            if self.filler:
                _add_filler(parts, self.filler, values, rng)
        if tpl.aside and rng.random() < tpl.aside:
            _add_aside(parts, self.bank.asides, rng)
        if tpl.decorate and rng.random() < P_PREFIX:
            parts.insert(0, (rng.choice(self.bank.prefixes), True))
        if tpl.decorate and rng.random() < P_SUFFIX:
            tail = "".join(p for p, _ in parts[-3:])[-16:].lower()
            if not any(c in tail for c in _COURTESY):  # no "thank you. thank you"
                parts.append((rng.choice(self.bank.suffixes), True))
        if rng.random() < P_TYPO:
            _add_typo(parts, rng)
        case = rng.random()  # literal parts are True, enum/number surfaces None, copied values False
        if case < P_TITLE:  # Title Case on the words around the values; values stay as said
            parts = [(p if lit is False else _title(p), lit) for p, lit in parts]
        elif case < P_TITLE + P_UPPER:  # ALL CAPS on the same words: the ask's case must not matter
            parts = [(p if lit is False else p.upper(), lit) for p, lit in parts]
        text = _clean("".join(p for p, _ in parts))
        if tpl.lowerable and P_TITLE + P_UPPER <= case < P_TITLE + P_UPPER + P_LOWER:
            text = text.lower()
            for arg, sampler in tpl.samplers.items():
                if sampler.copy and arg in values and not getattr(sampler, "pattern", None):
                    values[arg] = _lower_value(values[arg])
        elif case >= P_TITLE + P_UPPER and rng.random() < P_CAP:
            # sentence case, also where the request opens with an enum or number ("Unlock the car")
            lead = next((lit for p, lit in parts if p.strip()), False)
            if lead is not False:
                text = text[:1].upper() + text[1:]
        r = rng.random()
        ends_in_value = next((lit for p, lit in reversed(parts) if p.strip()), True) is False
        if r < P_BARE and text[-1:] in ".!?" and not ends_in_value:  # no closing punctuation, as people type
            text = text[:-1].rstrip() or text
        elif r > 1 - P_STOP and text[-1:].isalnum():
            text += rng.choice(".?!")
        return text, values

    def make(self, split: str, cat: str, key: str, rng: random.Random) -> Optional[dict]:
        """One new row of a tool (cat "call") or negative kind, or None when ATTEMPTS draws in a row
        were all duplicates (the tool or kind is exhausted)."""
        side = "test" if split == "test" else "train"
        robust = self.robust and split != "test"
        for _ in range(ATTEMPTS):
            hide = None
            if cat == "call":
                tpl = self._call(split, key, side, rng)
            elif key == "hidden_tool":
                tool = self._deck((split, "hidden"), [t for t in self.catalogue.names
                                                      if self._side(self.bank.tools[t], side)], rng)
                tpl = self._call(split, tool, side, rng)
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
            row = self._row(view, text, tpl, args, reason, kind, split)
            if cat == "call" and self.polar is not None and rng.random() < P_TWIN:
                twin = self.contrastive_twin(tpl, text, args, rng)
                if twin is not None and _norm(twin[0]) not in self.seen:
                    self.seen.add(_norm(twin[0]))
                    twin_row = self._row(view, twin[0], tpl, twin[1], None, kind, split)
                    twin_row["meta"]["twin"] = True
                    self.pending.setdefault(split, []).append(twin_row)
            return row
        return None

    def contrastive_twin(self, tpl: _Template, text: str, args: dict, rng: random.Random) -> Optional[tuple[str, dict]]:
        """The same request with its polar choice turned over ("Lock the doors" -> "Unlock the doors",
        "fan up a bit" -> "fan down a bit"): every other word as it was, so the one word that differs is
        what decides the value. None when the surface cannot be found verbatim (a typo landed on it)."""
        arg, group, surface, other = self.polar
        sampler = tpl.samplers[arg]
        side_rng = random.Random(zlib.crc32(text.encode()))  # the twin's word, without touching `rng`
        said = sampler.say(side_rng, other, group)
        # the surface as the request's casing left it: as said, lower, ALL CAPS, Title Case, Sentence case
        # and not inside a copied value of another argument ("low" in the summary "low disk space warning"):
        # every span the request had stays a span of the twin
        copied = [v for a, v in args.items()
                  if a != arg and isinstance(v, str) and getattr(tpl.samplers.get(a), "copy", False)]
        low = text.lower()
        spans = [(v, v in text, v.lower() in low) for v in copied]  # what the twin must keep
        for case in (str, str.lower, str.upper, _title, lambda t: t[:1].upper() + t[1:]):
            for m in (re.finditer(r"(?<!\w)" + re.escape(case(surface)) + r"(?!\w)", text) if surface else ()):
                twin = text[:m.start()] + case(said) + text[m.end():]
                if all((not exact or v in twin) and (not blind or v.lower() in twin.lower())
                       for v, exact, blind in spans):
                    return twin, {**args, arg: other}
        return None

    def _row(self, view, text, tpl, args, reason, kind, split) -> dict:
        shown, system, tools = view
        if reason is None:
            # copied free text must be a span of the request, or the model cannot learn to copy it
            for arg, sampler in tpl.samplers.items():
                value = args.get(arg)
                if sampler.copy and isinstance(value, str) and value not in text and not (
                        getattr(sampler, "pattern", None) and value.lower() in text.lower()):  # "usd" for USD
                    raise ToolrouterError(f"phrasing bank {self.bank.source}: template {tpl.id} ({tpl.tool}): "
                                          f"{arg} value {args[arg]!r} is not a span of the request {text!r}")
            target = format_call(tpl.tool, args, shown)
            result = parse_tool_call(target, shown)
            ok = result.kind == "call" and result.tool == tpl.tool and result.arguments == args
            meta = {"tool": tpl.tool, "kind": "call", "template": tpl.id}
            answer = {"tool": tpl.tool, "arguments": args}
        else:
            target = format_no_tool(reason)
            result = parse_tool_call(target, shown)
            ok = result.kind == "no_tool" and result.reason == reason
            meta = {"tool": NO_TOOL, "kind": f"no_tool:{kind}", "template": tpl.id}
            answer = {"tool": NO_TOOL, "reason": reason}
        if not ok:
            raise ToolrouterError(f"phrasing bank {self.bank.source}: template {tpl.id} (tool {tpl.tool or NO_TOOL}) "
                                  f"made a target that does not verify against the catalogue shown: {target} "
                                  f"({result.error}: {result.message}); request: {text!r}. Fix the template's "
                                  "slots or surface forms in the bank")
        # The verified target becomes the assistant turn in the run's answer format (json: `target` itself).
        row = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": text},
                            self.fmt.assistant_message(answer, shown)]}
        if tools is not None:
            row["tools"] = tools
        if self.fmt.name != "json":
            meta["format"] = self.fmt.name
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


def no_tool_ratio_problem(ratio: float) -> Optional[str]:
    """Why `ratio` is not a usable no_tool share (None when it is): the one rule for `data build`
    and for a recipe's data.no_tool_ratio, so a recipe cannot pass validation and fail here later."""
    lo, hi = RATIO_RANGE
    if lo <= ratio <= hi:
        return None
    return (f"must be between {lo} and {hi} (got {ratio}); fewer no_tool rows teach the router to always call, "
            "more teach it to refuse")


def _check_args(n: int, no_tool_ratio: float, mode: str, robust: bool, answer_format: str = "json") -> None:
    if not isinstance(n, int) or n < 10:
        raise ToolrouterError(f"--n must be an integer of at least 10 (got {n!r}): every split needs rows")
    problem = no_tool_ratio_problem(no_tool_ratio)
    if problem:
        raise ToolrouterError(f"--no-tool-ratio {problem}")
    if mode not in MODES:
        raise ToolrouterError(f"--mode must be one of {', '.join(MODES)} (got {mode!r})")
    if answer_format not in FORMATS:
        raise ToolrouterError(f"--format must be one of {', '.join(FORMATS)} (got {answer_format!r})")
    if answer_format == "native":
        from toolrouter.formats.native import check_mode

        check_mode(mode)
    if robust and mode == "baked":
        raise ToolrouterError("--robust shuffles and subsets the catalogue in the prompt, but mode 'baked' "
                              "shows no catalogue; use --mode compact, json or template, or drop --robust")


def eval_set_path(catalogue: Catalogue) -> Optional[Path]:
    """The hand-written gold set of a catalogue, if there is one: `evals/<name>.jsonl` for a built-in
    catalogue, `<stem>.jsonl` beside any other catalogue's .py/.json file."""
    source = Path(catalogue.source).resolve()
    if source.parent == BUILTIN_DIR:
        gold = PACKAGE_DIR / "evals" / f"{catalogue.name}.jsonl"
    else:
        gold = source.with_suffix(".jsonl") if source.suffix in (".py", ".json") else None
    return gold if gold is not None and gold.is_file() else None


def build_dataset(catalogue: Union[Catalogue, str, Path], n: int = 2000, seed: int = 0,
                  no_tool_ratio: float = 0.15, mode: str = "compact", robust: bool = False,
                  answer_format: str = "json", conversations=None) -> Dataset:
    """Generate n verified rows for a catalogue (a Catalogue, built-in name or path), split into
    train/val/test (80/10/10) with the no_tool share `no_tool_ratio` in every split. Test rows use
    held-out templates and slot values. Same arguments, same rows. Raises ToolrouterError on bad
    arguments, a broken bank or a target that does not verify. `answer_format` (toolrouter.formats) shapes
    each row's system prompt, tools column and assistant turn; native rows are the same for any template
    family (the chat template renders them). `conversations` (toolrouter.data.conversation.ConversationSettings
    or its dict; default None: single-turn rows only) turns some rows into conversations after each split
    is built, from its own random stream, so the rows without it are unchanged."""
    start = time.perf_counter()
    _check_args(n, no_tool_ratio, mode, robust, answer_format)
    catalogue = load_catalogue(catalogue)
    path = bank_path(catalogue)
    bank = _Compiled(catalogue, read_bank(path) if path else None, str(path) if path else "generic")
    rng = random.Random(f"{seed}:holdout")
    for name in catalogue.names:
        _hold_out([t for t in bank.tools[name] if not t.example], lambda t: t.tool, lambda t: t.tool, rng)
    for kind in NEGATIVE_KINDS:
        _hold_out(bank.negatives[kind], lambda t: (t.tool, t.reason), lambda t: t.kind, rng)
    builder = _Builder(catalogue, bank, mode, robust, get_format(answer_format))
    gold_file = eval_set_path(catalogue)
    if gold_file:  # decontamination: a hand-written eval prompt is never generated (see evals/README.md)
        builder.seen.update(_norm(row.get("prompt", "")) for _, row in read_jsonl(gold_file))
    sizes = {"val": round(n * SHARES["val"]), "test": round(n * SHARES["test"])}
    sizes = {"train": n - sizes["val"] - sizes["test"], **sizes}
    splits: dict[str, list[dict]] = {}
    warnings: list[str] = []
    for split in SPLITS:
        splits[split] = _make_split(builder, split, sizes[split], no_tool_ratio, random.Random(f"{seed}:{split}"),
                                    warnings)
    if conversations is not None:
        from toolrouter.data.conversation import ConversationSettings, add_conversations

        settings = ConversationSettings.model_validate(conversations) if isinstance(conversations, dict) else conversations
        for split in SPLITS:
            splits[split] = add_conversations(builder, splits[split], split, settings,
                                              random.Random(f"{seed}:conversations:{split}"))
    report = _report(splits, catalogue, bank, n=n, seed=seed, ratio=no_tool_ratio, mode=mode, robust=robust,
                     bank_file=path.name if path else None, duplicates=builder.duplicates, warnings=warnings)
    report["decontaminated_against"] = (str(gold_file.relative_to(PACKAGE_DIR)) if gold_file and
                                        gold_file.is_relative_to(PACKAGE_DIR) else gold_file.name if gold_file else None)
    if answer_format != "json":
        report["format"] = answer_format
    if conversations is not None:
        report["conversations"] = {"settings": settings.model_dump(), **{
            split: {kind: sum((r["meta"].get("conversation") or "single_turn") == kind for r in rows)
                    for kind in ("single_turn", "several", "follow_up", "supplied", "history")}
            for split, rows in splits.items()}}
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
        if cat == "call" and builder.pending.get(split):  # a contrastive twin takes the next call slot
            rows.append(builder.pending[split].pop(0))
            continue
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
    report["cue_words"] = cue_words(splits.get("train", []), catalogue)
    return report


# words people say in calls as often as anywhere: data whose rows with one are mostly no_tool teaches a
# router that the word means no_tool ("freeze my debit card" read as the near-miss "unfreeze my card")
CUE_WORDS = ("my", "the", "a", "it", "this", "of", "in", "on", "at", "for", "to", "with", "from", "some", "me", "i")
_STOP = set(CUE_WORDS) | {"an", "and", "or", "is", "are", "be", "so", "can", "when", "up", "out", "what", "how", "same",
                          "every", "one", "someone", "nobody", "use", "that", "get", "set", "new", "your", "into"}


def cue_words(rows: list[dict], catalogue, min_rows: int = 20) -> list[dict]:
    """The common request words (CUE_WORDS) and each tool's own words (its name and description) whose
    rows in `rows` are mostly no_tool, with their row count and call share, lowest share first. A
    router reads such a word as a sign of no_tool; people use it in calls ("add it to my cart"), so
    each is a phrasing the calls lack. Needs no gold set."""
    from toolrouter.data.values import words_of

    own = {w: t.name for t in catalogue for w in re.findall(r"[a-z]+", f"{words_of(t.name)} {t.description or ''}".lower())
           if len(w) > 2 and w not in _STOP}
    seen: dict[str, list[int]] = {}
    for row in rows:
        text = next((m["content"] for m in reversed(row["messages"]) if m["role"] == "user"), "")
        call = row["meta"]["tool"] != NO_TOOL
        for w in set(re.findall(r"[a-z']+", text.lower())):
            if w in CUE_WORDS or w in own:
                seen.setdefault(w, [0, 0])[0] += 1
                seen[w][1] += call
    out = [{"word": w, "rows": n, "call_share": round(c / n, 3), **({"tool": own[w]} if w in own else {})}
           for w, (n, c) in seen.items() if n >= min_rows and c / n < 0.5]
    return sorted(out, key=lambda d: (d["call_share"], -d["rows"], d["word"]))


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
        target = target_of_row(row)
        for call in (target if isinstance(target, list) else [target]):  # several calls: each counts
            tools[call["tool"]] = tools.get(call["tool"], 0) + 1
            for arg, value in call["arguments"].items():
                table = counts.get(f"{call['tool']}.{arg}")
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
    if len(row["messages"]) > 3:  # a conversation: its history, format-neutral (data/conversation.py)
        from toolrouter.data.conversation import gold_messages

        fmt = get_format((row.get("meta") or {}).get("format") or "json")
        return {"id": f"test-{i:05d}", "messages": gold_messages(row, fmt),
                "target": target_of_row(row), "meta": {"kind": row["meta"].get("conversation", "single")}}
    gold = {"id": f"test-{i:05d}", "prompt": row["messages"][1]["content"],
            "target": target_of_row(row)}
    return gold


def write_dataset(dataset: Dataset, out_dir: Union[str, Path]) -> Path:
    """Write train/val/test.jsonl, test.gold.jsonl, report.json and manifest.json (their sha256s,
    which train checks) as one folder: built in a hidden sibling and renamed into place, so a kill
    leaves the old complete set or the new one, never a mix (toolrouter.io.publish_folder)."""
    out = Path(out_dir)
    files = {f"{split}.jsonl": jsonl_text(dataset.splits[split]) for split in SPLITS}
    files["test.gold.jsonl"] = jsonl_text(_gold(r, i) for i, r in enumerate(dataset.splits["test"]))
    files["report.json"] = json.dumps(dataset.report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        publish_folder(out, files)
    except OSError as e:
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
    cues = rep.get("cue_words") or []
    if cues:  # words the calls lack: the router will read them as no_tool
        said = ", ".join(f"{c['word']!r} {c['call_share']:.0%} of {c['rows']}" for c in cues[:8])
        console.print(f"[yellow]rows with these words are mostly no_tool (calls lack them): {said}[/yellow]")
    total = sum(s["rows"] for s in rep["splits"].values())
    if dataset.seconds:
        console.print(f"{total} rows in {dataset.seconds:.2f} s ({total / dataset.seconds:,.0f} rows/s)")


# ---------------------------------------------------------------------------------------------
# bring your own data: OpenAI fine-tuning JSONL

class _BadRow(Exception):
    pass


IMPORT_SOURCES = ("auto", "openai", "sharegpt", "trl")
# ShareGPT speaker names as commonly used (LLaMA-Factory, FastChat): -> OpenAI roles; function_call = a call
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
                  "observation": "tool", "tool": "tool", "function": "tool", "function_call": "function_call",
                  "tool_call": "function_call"}


def import_openai(path: Union[str, Path], catalogue: Union[Catalogue, str, Path, None] = None,
                  mode: str = "compact", source: str = "auto") -> Dataset:
    """Read conversation rows into verified rows, split 80/10/10 by a hash of the conversation's text.
    Sources (`auto` tells them apart per row): OpenAI fine-tuning JSONL (`messages` with assistant
    `tool_calls` and `role: tool` results, plus `tools`), TRL conversational rows (`messages`, or
    `prompt` + `completion`, with `tools` as a list or JSON text) and ShareGPT (`conversations` of
    {from, value}: human/gpt/system, function_call (a call or a list of calls as JSON text) and
    observation (a tool result), with `tools` as JSON text). Whole conversations are kept: every earlier
    assistant call is verified against the catalogue like the answer, several calls per turn included;
    the row's own system message gives way to the catalogue's system prompt. The last assistant turn is
    the answer (tool calls, or text = a no_tool whose reason is the text). Rows that do not validate are
    collected in `Dataset.problems` with their line numbers and what to fix."""
    start = time.perf_counter()
    if mode not in MODES:
        raise ToolrouterError(f"--mode must be one of {', '.join(MODES)} (got {mode!r})")
    if source not in IMPORT_SOURCES:
        raise ToolrouterError(f"--from must be one of {', '.join(IMPORT_SOURCES)} (got {source!r})")
    path = Path(path)
    try:
        lines = list(jsonl_lines(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as e:
        raise ToolrouterError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}; pass an existing "
                              "JSONL file (OpenAI fine-tuning, ShareGPT or TRL conversational rows)") from None
    fixed = load_catalogue(catalogue) if catalogue is not None else None
    views: dict[str, tuple] = {}
    splits: dict[str, list[dict]] = {s: [] for s in SPLITS}
    problems, seen, duplicates, names, sources = [], set(), 0, [], {}
    for lineno, line in lines:
        try:
            row, kind = _import_row(line, lineno, fixed, mode, views, str(path), source)
        except _BadRow as e:
            problems.append(f"line {lineno}: {e}")
            continue
        sources[kind] = sources.get(kind, 0) + 1
        norm = _norm(" \x00 ".join(m.get("content") or "" for m in row["messages"][1:-1] if m["role"] != "assistant")
                     if len(row["messages"]) > 3 else row["messages"][1]["content"])
        if norm in seen:
            duplicates += 1
            continue
        seen.add(norm)
        bucket = zlib.crc32(norm.encode()) % 10
        splits["test" if bucket == 0 else "val" if bucket == 1 else "train"].append(row)
        names.append(row["meta"]["tool"])
    enum_cat = fixed or (next(iter(views.values()))[0] if len(views) == 1 else None)
    report = {"source": path.name, "catalogue": fixed.name if fixed else f"imported ({len(views)} tool set(s) from the rows)",
              "mode": mode, "rows_read": len(lines), "bad_rows": problems,
              "duplicates_skipped": duplicates, "splits": {}, "enum_coverage": {}}
    if set(sources) - {"openai"}:
        report["formats_read"] = sources
    enum_args = _enum_args(enum_cat) if enum_cat else {}
    for split, rows in splits.items():
        report["splits"][split], report["enum_coverage"][split], _ = _split_stats(rows, enum_args)
    return Dataset(splits, report, seconds=time.perf_counter() - start, problems=problems)


def _json_text(value: Any, what: str) -> Any:
    """A value that a format may give as JSON text (ShareGPT/TRL `tools`, function_call values)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as e:
        raise _BadRow(f"{what} is not valid JSON text ({e.msg} at character {e.pos})") from None
    except RecursionError:
        raise _BadRow(f"{what}: JSON nested too deeply to read (over ~1000 levels)") from None


def _openai_tools(tools: Any) -> Any:
    """`tools` as OpenAI definitions: ShareGPT rows list bare {name, description, parameters}."""
    tools = _json_text(tools, '"tools"')
    if isinstance(tools, list):
        return [{"type": "function", "function": t} if isinstance(t, dict) and "function" not in t and "name" in t
                else t for t in tools]
    return tools


def _sharegpt_messages(turns: Any) -> list[dict]:
    """ShareGPT `conversations` -> OpenAI-style messages (function_call turns become assistant tool_calls)."""
    if not isinstance(turns, list) or not turns:
        raise _BadRow('"conversations" must be a non-empty list of {"from": ..., "value": ...}')
    out: list[dict] = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise _BadRow(f"conversations[{i}]: expected {{\"from\": ..., \"value\": ...}}")
        who, value = turn.get("from", turn.get("role")), turn.get("value", turn.get("content"))
        role = SHAREGPT_ROLES.get(who) if isinstance(who, str) else None
        if role is None:
            raise _BadRow(f"conversations[{i}]: unknown speaker {who!r}; use one of {', '.join(SHAREGPT_ROLES)}")
        if role == "function_call":
            calls = _json_text(value, f"conversations[{i}] (function_call)")
            calls = calls if isinstance(calls, list) else [calls]
            if not calls or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in calls):
                raise _BadRow(f'conversations[{i}]: a function_call value is {{"name": ..., "arguments": {{...}}}} '
                              "or a list of them, as JSON text")
            message = {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": c["name"], "arguments": c.get("arguments", c.get("parameters", {}))}}
                for c in calls]}
            if out and out[-1]["role"] == "assistant" and not out[-1].get("tool_calls"):
                out[-1] = {**message, "content": out[-1]["content"]}  # "I'll check" + the call: one turn
            else:
                out.append(message)
        else:
            out.append({"role": role, "content": value})
    return out


def _import_row(line: str, lineno: int, fixed: Optional[Catalogue], mode: str, views: dict, source: str,
                kind: str = "auto") -> tuple[dict, str]:
    from toolrouter.data.conversation import calls_of, target_of_openai

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise _BadRow(f"not valid JSON ({e.msg} at character {e.pos})") from None
    except RecursionError:
        raise _BadRow("JSON nested too deeply to read (over ~1000 levels)") from None
    if not isinstance(obj, dict):
        raise _BadRow('expected an object with "messages" (OpenAI, TRL), "prompt" + "completion" (TRL) or '
                      '"conversations" (ShareGPT)')
    if kind == "sharegpt" or (kind == "auto" and "conversations" in obj and "messages" not in obj):
        kind, messages = "sharegpt", _sharegpt_messages(obj.get("conversations"))
    elif kind in ("auto", "trl") and "prompt" in obj and "completion" in obj and "messages" not in obj:
        prompt, completion = obj["prompt"], obj["completion"]
        if not isinstance(prompt, list) or not isinstance(completion, list):
            raise _BadRow('TRL "prompt" and "completion" must be lists of messages (conversational rows)')
        kind, messages = "trl", prompt + completion
    else:
        kind = "openai" if kind == "auto" else kind
        messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRow('expected an object with a non-empty "messages" list (or ShareGPT "conversations")')
    catalogue = fixed
    if catalogue is None:
        tools = _openai_tools(obj.get("tools"))
        if not tools:
            raise _BadRow('no "tools" in the row; add them, or pass --catalogue')
        key = json.dumps(tools, sort_keys=True)
        if key not in views:
            try:
                views[key] = (catalogue_from_openai(tools, f"{source} line {lineno}", name="imported"),)
            except CatalogueError as e:
                raise _BadRow(f"tools: {'; '.join(e.problems)}") from None
        catalogue = views[key][0]
    if isinstance(messages[0], dict) and messages[0].get("role") in ("system", "developer"):
        messages = messages[1:]  # the catalogue's system prompt replaces it
    last = messages[-1] if messages else None
    if not isinstance(last, dict) or last.get("role") != "assistant":
        raise _BadRow("the last message must be the assistant's answer")
    if not any(isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)
               and m["content"].strip() for m in messages[:-1]):
        raise _BadRow("no user message with text before the assistant's answer")
    fmt = get_format("json")
    turns, answer, called = [], None, False
    for i, m in enumerate(messages):
        final = i == len(messages) - 1
        where = "" if final else f"message {i + 1} ({m.get('role') if isinstance(m, dict) else '?'}): "
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant", "tool"):
            raise _BadRow(f"{where}expected a user, assistant or tool message (a system message only comes first)")
        if m["role"] == "user":
            if not isinstance(m.get("content"), str):
                raise _BadRow(f"{where}a user message needs text content")
            turns.append({"role": "user", "content": m["content"]})
            called = False
            continue
        if m["role"] == "tool":
            if not called:
                raise _BadRow(f"{where}a tool result with no assistant call before it; put the assistant's "
                              "tool_calls before its results")
            content = m.get("content")
            turns.append({"role": "tool", "content": content if isinstance(content, str)
                          else json.dumps(content, ensure_ascii=False)})
            continue
        try:
            target = target_of_openai(m)
        except (ValueError, json.JSONDecodeError, RecursionError) as e:
            raise _BadRow(f"{where}{e}" if not isinstance(e, json.JSONDecodeError)
                          else f"{where}arguments are not valid JSON ({e.msg})") from None
        calls = calls_of(target)
        for call in calls:
            if call["tool"] not in catalogue:
                raise _BadRow(f"{where}unknown tool {call['tool']!r}; the catalogue has {', '.join(catalogue.names)}")
            result = parse_tool_call(format_call(call["tool"], call["arguments"], catalogue), catalogue)
            if result.kind != "call":
                raise _BadRow(f"{where}{result.error}: {result.message} (in {call['tool']})")
        if not calls:
            text = (m.get("content") or "").strip() if isinstance(m.get("content"), str) else ""
            if not text:
                raise _BadRow(f"{where}the assistant answer has neither tool_calls nor text (a no_tool needs its reason)")
            target = {"tool": NO_TOOL, "reason": text}
        called = bool(calls)
        turns.append(fmt.assistant_message(target, catalogue))
        answer = target
    calls = calls_of(answer)
    tool = NO_TOOL if not calls else "+".join(c["tool"] for c in calls)
    meta = {"tool": tool, "kind": "call" if calls else "no_tool:imported", "template": f"import:{lineno}"}
    if len(turns) > 2:
        meta.update(conversation="imported", turns=sum(t["role"] == "user" for t in turns))
    row = {"messages": [{"role": "system", "content": catalogue.render(mode)}, *turns]}
    if mode == "template":
        row["tools"] = catalogue.to_openai()
    row["meta"] = meta
    return row, kind


# ---------------------------------------------------------------------------------------------
# command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter data`'s actions and options."""
    from toolrouter.data import teacher

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
    build.add_argument("--format", choices=FORMATS, default="json", dest="answer_format",
                       help="answer format: json (canonical envelope as text) or native (tools column + assistant "
                            "tool_calls, rendered by the base's chat template; needs --mode template or baked)")
    teacher.add_arguments(build)
    imp = sub.add_parser("import", help="verify and convert OpenAI fine-tuning, ShareGPT or TRL conversational JSONL")
    imp.add_argument("file")
    imp.add_argument("--from", choices=IMPORT_SOURCES, default="auto", dest="source",
                     help="the rows' format (default auto: per row, by its keys)")
    imp.add_argument("--out", required=True)
    imp.add_argument("--mode", choices=MODES, default="compact")
    imp.add_argument("--catalogue", default=None, help="catalogue for every row (default: each row's `tools`)")


def command(args: argparse.Namespace) -> int:
    if args.action == "build" and args.teacher:
        from toolrouter.data import teacher

        return teacher.command(args)
    if args.action == "build":
        if args.teacher_model:
            raise ToolrouterError("--teacher-model needs --teacher URL (an OpenAI-compatible base URL)")
        dataset = build_dataset(args.catalogue, n=args.n, seed=args.seed, no_tool_ratio=args.no_tool_ratio,
                                mode=args.mode, robust=args.robust, answer_format=args.answer_format)
        write_dataset(dataset, args.out)
        print_summary(dataset, args.out)
        return 0
    dataset = import_openai(args.file, catalogue=args.catalogue, mode=args.mode, source=args.source)
    kept = sum(len(rows) for rows in dataset.splits.values())
    if not kept and not dataset.problems:
        raise ToolrouterError(f"{args.file}: no rows to import (the file is empty); pass OpenAI fine-tuning, ShareGPT "
                              "or TRL conversational JSONL, one {\"messages\": [...]} object per line")
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


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter data` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["data", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
