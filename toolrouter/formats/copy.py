"""Copy constraint: string arguments that the data copies from the request may only be spans of it.

    grammars = copy_grammars(catalogue, conversations, tokenizer, vocab_size, stops, fmt)  # one per conversation
    generate_answers(..., constrained=True, grammars=grammars)        # toolrouter eval/casing --copy, Router(copy=True)

The training data writes some string arguments verbatim from the request (toolrouter.data.bank: a
`_Text` slot, free text or a name, value == what was said) or as an ID that follows the schema's
pattern (a `_Pattern` slot: said as is, lower or upper case). A small router learns *that* it copies
long before it copies every character right (ORD-662014 -> ORD-626014). With `--copy`, each
request gets its own answer grammar in which such an argument can only be:

  - text: a substring of a user turn (with history, also of a tool result or an earlier call's
    string value: a follow-up carries values over) that starts at a word (or whitespace-separated chunk) start and
    ends at a word (or chunk) end, character for character. "the mug arrived cracked." allows "mug
    arrived cracked", "mug arrived cracked." and "the mug", not "mug arrived broken". For a model
    whose chat template lower-cases requests (the tiny recipes' chatml_lower), the spans are those of
    the lower-cased request, as the model read it, and `restore_case` writes the value back in the
    request's own case ("hotel california" -> "Hotel California"): the grammar is then the same for
    every casing of a request, and so is the answer;
  - pattern: a span of a user turn that matches the pattern as written, upper- or lower-cased
    ("ord-48213" -> "ORD-48213"). When no span matches, the field keeps its plain pattern rule.

  - said: a number, time, date or value-table argument, which the data says in words of its own
    ("quarter past eight" -> "08:15", "an hour" -> 60, "March 12, 2027" -> "2027-03-12", "for
    four" -> 4), may only be one of the values the request says, read back the same ways (`Reader`:
    every reading of every span, so "eight" may be a party size and "quarter past eight" 08:15 or
    20:15; digits inside an ID, a date, a time or "7pm" are not a number). When the request says
    none, an optional argument is left out ("show me dogs up for adoption" has no age to give) and a
    tool that needs one is left out of the answer ("log a walk" can only be the missing-argument
    no_tool or another tool), as the data never writes a value its request does not say; where that
    would leave no tool, or a call is required, the argument keeps its catalogue rule.
  - name: a text argument that is a name (a person, company or restaurant, or one named or described
    as a name) starts at a run of capitalised words, when the request's casing says where names are:
    sentence case with capitals past the first word ("can Rocky see the vet on Friday" -> "Rocky", not
    "see"; "Blue Buffalo", never "Buffalo"; "I", months, days and titles like "Professor" start none).
    A request in lower case, capitals or Title Case keeps every span, so those casings answer alike.

Everything else is left as the catalogue grammar has it: enums (already a closed list), booleans and
lists. Which fields are copied or said comes from the same bank compilation that made the training data
(the catalogue's phrasing bank, else the schema draft), so the constraint follows the data
convention, not the gold set. Length-bounded strings (minLength/maxLength) are left alone.

A text field's spans are written as one rule per boundary point of the request, each the literal
text up to the next point followed optionally (where a span may end) by the next point's rule: O(n)
rules for n points, not the O(n^2) literals of an enum of all spans. Compiling a request's grammar
costs a few milliseconds (median 4.0 ms, max 7.8 ms over the 141 prompts of evals/support_router.jsonl
with the tiny run's tokenizer, 2026-11-30); grammars are not cached.

Two copied text arguments of one call are two places of the request (`copy_decode`, used by eval,
casing and the Router): overlapping values ("from the gym to the mall" -> "the gym" twice) are decoded
again with each kept off the other's place, and the answer whose values follow the words the data says
before them ("from" {pickup}, "to" {destination}: `anchors`) wins; values standing each after the
other's words are swapped back.

A run dir keeps the bank that made its data beside its catalogue snapshot (catalogue.bank.yaml, written
by training), so copying there reads the data's own convention; a run trained before that falls back
to a draft of the snapshot. Known gaps: lists of free strings and nested objects are not restricted.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
from typing import Any, NamedTuple, Optional, Sequence, Union

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import FREE_TEXT_KEY

COPY_KEY = "x-copy-spans"  # a string schema whose value is a span of these texts (the grammar builder reads it)
HEAD_KEY = "x-copy-head"  # with COPY_KEY: the span starts where each of those texts starts
PHRASE_KEY = "x-copy-phrase"  # with COPY_KEY: a name or place, which starts with no pronoun, auxiliary or wh-word
PHRASE_KINDS = ("person", "person_name", "surname", "company", "restaurant", "city", "country", "place", "place_to",
                "place_from", "product", "food")
MAX_PATTERN_SPAN = 64  # characters of a span tried against a pattern
# string formats copied as the spans that have their shape (no span matching: the catalogue's grammar)
FORMATS = {"email": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "uri": r"https?://\S+", "url": r"https?://\S+",
           "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"}
# A word: letters/digits with inner apostrophes, hyphens, dots, @, slashes, colons, & and + ("I'm",
# "ORD-48213", "a@b.com", "07:30"); a chunk: a run of non-whitespace ("milk?", "(Hotel").
_WORD = re.compile(r"\w+(?:['’\-.@/:&+]\w+)*")
_CHUNK = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]+")

_FIELDS: dict = {}  # (catalogue fingerprint, bank path) -> BankFields
# Copied values the data draws as a phrase or sentence (a title, a problem summary, a message, a to-do):
# said to the end of their clause, unlike names ("the holiday schedule", not "holiday")
CLAUSE_KINDS = ("title", "summary", "message", "task")
NAME_KINDS = ("person", "person_name", "surname", "company", "restaurant", "city", "country")  # providers of names (and any argument said to be a name)
# capitalised words that start no name: "I", a title before one ("Professor Nguyen"), months and days
_CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_NOT_NAMES = {"i", "i'm", "i'd", "i'll", "i've", "dr", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sir"} | _CALENDAR


class BankFields(NamedTuple):
    """What the bank that made a catalogue's data says of each argument, for copying and reading it back."""
    copied: dict  # copied_fields: {tool: {argument: "text" | "pattern" | "format:<name>"}}
    said: dict  # said_fields: {tool: {argument: Reader}} of numbers, times, dates and value tables
    anchors: dict  # {tool: {argument: the words the data says right before it}}
    clauses: dict  # {(tool, argument): provider} of CLAUSE_KINDS
    names: set  # {(tool, argument)} drawn from NAME_KINDS or named or described as a name
    chosen: dict  # {tool: {argument: Reader}} of enums, read by every word the data says their values with
    phrases: set  # {(tool, argument)} drawn from PHRASE_KINDS: names and places
    ids: set  # {(tool, argument)} of IDs without a pattern, drawn from the data's ID provider (always a digit)
    numbered: set = frozenset()  # of those, the ones the catalogue shows as plain numbers ("4021": a zone, a room)
    led: set = frozenset()  # {(tool, argument)} of text the catalogue shows led by a number ("2015 Honda Accord")
    reasons: frozenset = frozenset()  # the no_tool reasons the data writes ("out of scope: weather", "greeting")


def _bank_fields(catalogue: Catalogue) -> BankFields:
    """The BankFields of `catalogue`, from one
    compilation of the bank that made its data (its phrasing bank beside the catalogue's source, else the
    schema draft), cached per catalogue."""
    # Imported here, against the usual formats <- data direction: the data convention lives in the bank.
    from toolrouter.data.bank import _Choice, _Compiled, _Pattern, _Text, bank_path, read_bank
    from toolrouter.data.values import raw_properties

    path = bank_path(catalogue)
    key = (catalogue.fingerprint(), str(path))
    if key not in _FIELDS:
        bank = read_bank(path) if path else None
        if bank is not None:  # a tool subset (the server's, a belied no_tool's) keeps the negatives of its own tools
            bank = bank.model_copy(update={"negatives": {k: [g for g in v if g.tool is None or g.tool in catalogue.names]
                                                         for k, v in bank.negatives.items()}})
        compiled = _Compiled(catalogue, bank, str(path) if path else "generic")
        copied: dict[str, dict[str, str]] = {}
        said: dict[str, dict[str, Reader]] = {}
        clauses: dict = {}  # (tool, argument) -> its provider, of CLAUSE_KINDS
        names: set = set()
        chosen: dict[str, dict[str, Reader]] = {}
        phrases: set = set()
        ids: set = set()
        numbered: set = set()
        led: set = set()
        for spec in catalogue:
            raw = raw_properties(spec)
            formats = {a: p.get("format") for a, p in raw.items()}  # ToolSpec drops `format`
            for arg, schema in spec.properties.items():
                sampler = compiled.samplers[spec.name].get(arg)
                if schema.get("type") == "string" and "minLength" not in schema and "maxLength" not in schema \
                        and (isinstance(sampler, _Text) or isinstance(sampler, _Pattern) and schema.get("pattern")):
                    # a pattern (an ID, a currency code) or a format (an email: the schema's, else the provider
                    # the bank draws it from) is copied as the spans that match
                    provider = getattr(sampler, "provider", None)
                    fmt = formats.get(arg) or provider
                    copied.setdefault(spec.name, {})[arg] = ("pattern" if schema.get("pattern") else
                                                             f"format:{fmt}" if fmt in FORMATS else "text")
                    if provider in CLAUSE_KINDS:
                        clauses[(spec.name, arg)] = provider
                    if provider in PHRASE_KINDS and fmt not in FORMATS and not schema.get("pattern"):
                        phrases.add((spec.name, arg))
                    # the values the catalogue shows: the bank's pool (a run's bank keeps what its snapshot drops)
                    tbank = bank.tools.get(spec.name) if bank is not None else None
                    slot = (tbank.slots.get(arg) if tbank is not None else None) or (
                        bank.slots.get(arg) if bank is not None else None)
                    examples = [e for e in (slot.pool if slot is not None and slot.pool else
                                            raw.get(arg, {}).get("examples") or []) if isinstance(e, str)]
                    if len(examples) > 1 and all(_LED.match(e) for e in examples) and not schema.get("pattern"):
                        led.add((spec.name, arg))
                    if provider == "id" and not schema.get("pattern"):
                        ids.add((spec.name, arg))
                        if any(e.isdigit() for e in examples):
                            numbered.add((spec.name, arg))
                    # a name: by its provider, its name or description, or examples that are all capitalised
                    # words ("Red Line", "Route 14"; "Central", "Westwood"), two or more, as the catalogue shows it
                    if fmt not in FORMATS and not schema.get("pattern") and provider != "id" and (
                            provider in NAME_KINDS or "name" in arg.lower().split("_")
                            or re.search(r"\bname\b", (schema.get("description") or "").lower())
                            or len(examples) > 1 and all(re.match(r"[A-Z][a-z]", e) for e in examples)):
                        names.add((spec.name, arg))
                elif "enum" in schema and isinstance(sampler, _Choice):
                    chosen.setdefault(spec.name, {})[arg] = _reader(sampler, schema)
                elif "enum" not in schema and schema.get("type") in ("integer", "number", "string") \
                        and not isinstance(sampler, _Choice):
                    reader = _reader(sampler, schema)
                    if reader is not None:
                        said.setdefault(spec.name, {})[arg] = reader
        _FIELDS[key] = BankFields(copied, said, _slot_anchors(compiled), clauses, names, chosen, phrases, ids,
                                  numbered, led, frozenset(t.reason for group in compiled.negatives.values()
                                                           for t in group if t.reason))
    return _FIELDS[key]


_LED = re.compile(r"\d+ [A-Za-z]")  # "2015 Honda Accord", "12 Oak Street": a number, then words


def _number_led(value: Any, texts: Sequence[str]) -> Any:
    """A value the catalogue shows led by a number ("2015 Honda Accord"), copied without the number that leads it in
    the request ("Subaru Outback" of "a 2016 Subaru Outback"), with it; anything else as it is."""
    if not isinstance(value, str) or not value.strip() or value[:1].isdigit():
        return value
    for text in texts:
        m = re.search(r"(?<![\w.,:/-])(\d+) " + re.escape(value) + r"(?!\w)", text)
        if m:
            return f"{m.group(1)} {value}"
    return value


def _slot_anchors(compiled) -> dict[str, dict[str, set]]:
    """{tool: {argument: the words the bank's call templates say right before it}} ("from" {pickup},
    "to" {destination}), over many expansions of each template (a fixed seed, so the same every time)."""
    import random

    from toolrouter.data.bank import _expand, _Slot

    rng = random.Random(0)
    out: dict[str, dict[str, set]] = {}
    for tool, templates in compiled.tools.items():
        mine = out.setdefault(tool, {})
        for tpl in templates:
            for _ in range(24):
                items: list = []
                _expand(tpl.seq, rng, items)
                before = ""
                for item in items:
                    if type(item) is _Slot:
                        words = _ANCHOR_WORD.findall(before.lower()) if before[-1:].isspace() else []
                        mine.setdefault(item.arg, set()).update(words[-1:])
                        before = ""
                    else:
                        before += item
    return out


_ANCHOR_WORD = re.compile(r"[a-z']+")


def anchors(catalogue: Catalogue) -> dict[str, dict[str, set]]:
    """{tool: {argument: words}}: the word the training data says right before each argument ("from"
    before a pickup, "to" before a destination), from the bank compilation that made the data."""
    return _bank_fields(catalogue).anchors


def copied_fields(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """{tool: {argument: "text" | "pattern" | "format:<name>"}} of the top-level string arguments the
    training data copies from the request, as the bank compilation of `catalogue` samples them."""
    return _bank_fields(catalogue).copied


_EDGE = ",.!?;:\"'()[]"
# "22", "21.5", "22°", "70°f", "40%", "$200", "€84.50", "12,000"
_NUMBER_WORD = re.compile(r"[$€£]?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:°[cf]?|%)?")
_ISO_WORD = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_FORM_WORDS = 8
MAX_SPOKEN_RANGE = 5000  # a spoken-number range wider than this is read from digits and words only


def _norm(text: str) -> list[str]:
    """Lower-cased words with their edge punctuation off: "March 12, 2026." -> [march, 12, 2026]."""
    return [w for w in (c.strip(_EDGE) for c in text.lower().split()) if w]


class Reader:
    """The values of one argument that a request says, read the ways the training data says them:
    a table's surfaces ("an hour" -> 60), a spoken kind's forms (`toolrouter.data.values`:
    "quarter past eight" -> "08:15", "March 12, 2026" -> "2026-03-12"), and for numbers any number
    in digits or words within the range (a whole word: not the digits of an ID, a date, a time or
    "7pm"). `spans(texts)` -> (text index, first word, end word, value) of every reading;
    `read(texts)` -> the values of the longest readings (`longest_readings`), in order.

    A date reader also reads a date said without its year ("from December 21 to December 31, 2026") in the
    one year the request says elsewhere (a dated reading or a year on its own); where it says none or
    several, such a date says nothing."""

    def __init__(self, forms: dict[str, set], numbers: Optional[tuple[float, float, bool]] = None,
                 iso_dates: bool = False, kind: str = "table"):
        self.forms, self.numbers, self.iso_dates, self.kind = forms, numbers, iso_dates, kind
        self.longest = min(MAX_FORM_WORDS, max((len(k.split()) for k in forms), default=1))
        self.yearless = _yearless_forms() if kind == "date" else {}

    def spans(self, texts: Sequence[str]) -> list[tuple[int, int, int, Any]]:
        import datetime as dt

        out = []
        for t, text in enumerate(texts):
            words = _norm(text)
            for i, word in enumerate(words):
                for n in range(1, self.longest + 1):
                    if i + n > len(words):
                        break
                    if n > 1 and word in ("a", "an") and i and _NUMBER_WORD.fullmatch(words[i - 1]):
                        break  # "$150 a night", "3 times a day": a rate, not one night
                    for v in sorted(self.forms.get(" ".join(words[i:i + n]), ()), key=str):
                        out.append((t, i, i + n, v))
                m = _NUMBER_WORD.fullmatch(word) if self.numbers else None
                if m:
                    lo, hi, integer = self.numbers
                    v = float(m.group(1).replace(",", ""))
                    if lo <= v <= hi and (v.is_integer() or not integer):
                        out.append((t, i, i + 1, int(v) if v.is_integer() else v))
                if self.iso_dates and _ISO_WORD.fullmatch(word):
                    try:
                        dt.date.fromisoformat(word)
                    except ValueError:
                        continue
                    out.append((t, i, i + 1, word))
        if self.yearless:
            out += self._yearless(texts, out)
        return out

    def _yearless(self, texts: Sequence[str], dated: list) -> list:
        """Readings of the dates said without a year, in the one year the request says (see the class)."""
        import datetime as dt

        from toolrouter.data.values import DATES

        years = {str(v)[:4] for *_, v in dated} | {w for t in texts for w in _norm(t) if re.fullmatch(r"(?:19|20)\d{2}", w)}
        if len(years) != 1:
            return []
        year = int(next(iter(years)))
        out = []
        for t, text in enumerate(texts):
            words = _norm(text)
            for i in range(len(words)):
                for n in (2, 3, 4):
                    month_day = self.yearless.get(" ".join(words[i:i + n])) if i + n <= len(words) else None
                    if month_day is None:
                        continue
                    try:
                        day = dt.date(year, *month_day)
                    except ValueError:
                        continue
                    if DATES[0] <= day <= DATES[1]:  # the range the data draws from, as the dated forms
                        out.append((t, i, i + n, day.isoformat()))
        return out

    def read(self, texts: Sequence[str]) -> list:
        return _values(longest_readings(self.spans(texts)))


@functools.lru_cache(maxsize=None)
def _yearless_forms() -> dict[str, tuple[int, int]]:
    """{"december 21": (12, 21), "21st of december", "dec 21", "21 december", ...}: a date's words without its year."""
    from toolrouter.data.values import MONTHS, _ordinal

    return {form: (m, d) for m, month in enumerate(MONTHS, 1) for name in {month.lower(), month[:3].lower()}
            for d in range(1, 32) for form in (f"{name} {d}", f"{name} {_ordinal(d)}", f"{d} {name}",
                                               f"{_ordinal(d)} {name}", f"the {_ordinal(d)} of {name}",
                                               f"{_ordinal(d)} of {name}")}


# words that say some value of a kind, read by the data or not (with digits and number words)
_VALUE_WORDS = {"number": {"dozen", "half", "couple", "hundred", "thousand", "hour", "minute"},
                "time": {"noon", "midnight", "half", "quarter", "morning", "evening", "tonight"},
                "date": {"today", "tomorrow", "tonight", "week", "weekend"} | _CALENDAR}


_BARE_NUMBER = re.compile(r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve")
_DATE_DIGITS = re.compile(r"\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{1,4})?|\d{1,2}(?:st|nd|rd|th)|(?:19|20)\d{2}")


def _says_a_value(texts: Sequence[str], kind: str) -> bool:
    """Whether `texts` say any value of `kind` (number, time, date; a value table: always) in any form or
    range: a digit, a number word, "noon" for a time, a month, "tomorrow" or a date's digits ("12/3", "the 5th",
    2027) for a date. Where one does, a
    tool needing one stays, read or not ("72 degrees" outside the data's range of temperatures is still
    said); "how many steps did I walk today" says no number."""
    from toolrouter.data.values import ONES, TENS

    if kind not in _VALUE_WORDS:
        return True
    words = {w for t in texts for w in _norm(t)}
    if kind == "date":  # a month, a weekday, "tomorrow", or digits shaped as a date: "Problem Set 5" says none
        return bool(words & _VALUE_WORDS[kind]) or any(_DATE_DIGITS.fullmatch(w) for w in words)
    return any(re.search(r"\d", w) for w in words) or bool(words & (_VALUE_WORDS[kind] | set(ONES[1:]) | set(TENS[2:])))


def said_readings(readers: dict[str, Reader], texts: Sequence[str]) -> list[tuple[int, int, int, Any, str]]:
    """(text index, first word, end word, value, argument) of every reading of a tool's readers that is not
    inside a longer one (`longest_readings`); a bare number is a time only where no time is said as one
    ("for 6 ... at 6pm": the 6 is no time; "at 6" alone is)."""
    readings = {arg: reader.spans(texts) for arg, reader in readers.items()}
    for arg, spans in readings.items():
        if readers[arg].kind == "time":
            bare = [sp for sp in spans if _BARE_NUMBER.fullmatch(" ".join(_norm(texts[sp[0]])[sp[1]:sp[2]]))]
            if bare and len(bare) < len(spans):
                readings[arg] = [sp for sp in spans if sp not in bare]
    return longest_readings([(*sp, arg) for arg, spans in readings.items() for sp in spans])


RANGE_STARTS = {"from", "starting", "beginning", "since"}  # words before the first end of a range
RANGE_ENDS = {"to", "until", "till", "through", "thru", "ending", "returning"}  # and before its last


def _two_said(args: dict, texts: Sequence[str], readers: dict[str, Reader], tool_anchors: dict) -> dict:
    """`args` with two said arguments of one kind (two dates or two times: a start and an end, a check-in and
    a check-out) set to the two values the request says, where it says exactly two: a call that gives both
    arguments one of them ("from 2027-02-15 to 2027-02-19" -> start and end both 2027-02-15) gets them in the
    order the request says them, the first to the argument the schema declares first, and a call that has the
    two swapped gets them back where the words before them say so. Which is which: the words the data says
    before each argument (anchors: "from" the start, "to" the end) where they tell the two apart, else the
    words of a range ("from ... until ...", "through"). A scratch router reads *that* two dates are said
    far better than *which* goes where."""
    out = dict(args)
    kinds: dict[str, list[str]] = {}
    for arg, reader in readers.items():
        if arg in out and reader.kind in ("date", "time") and not isinstance(out[arg], (dict, list)):
            kinds.setdefault(reader.kind, []).append(arg)
    for pair in kinds.values():
        if len(pair) != 2:
            continue
        a, b = pair
        seen: dict[str, tuple] = {}
        for t, i, _, v, arg in sorted(said_readings({x: readers[x] for x in pair}, texts)):
            seen.setdefault(json.dumps(v), (t, i, v))
        if len(seen) != 2:
            continue
        (t1, i1, v1), (t2, i2, v2) = seen.values()
        p1, p2 = (_norm(texts[t])[i - 1] if i > 0 else "" for t, i in ((t1, i1), (t2, i2)))
        wa, wb = tool_anchors.get(a, set()), tool_anchors.get(b, set())
        a_only, b_only = wa - wb, wb - wa
        forward, reverse = p1 in a_only or p2 in b_only, p1 in b_only or p2 in a_only
        if forward == reverse:  # the anchors do not tell: a range's words may
            forward, reverse = p1 in RANGE_STARTS or p2 in RANGE_ENDS, p1 in RANGE_ENDS or p2 in RANGE_STARTS
        first, second = (v2, v1) if reverse and not forward else (v1, v2)
        if out[a] == out[b] and out[a] in (v1, v2) or \
                {json.dumps(out[a]), json.dumps(out[b])} == {json.dumps(v1), json.dumps(v2)} and forward != reverse:
            out[a], out[b] = first, second
    return out


# words before a request's verb ("can you please cancel ...", "i want to delete ...")
_LEAD_WORDS = {"please", "pls", "plz", "can", "could", "would", "you", "i", "i'd", "i'll", "want", "need", "like", "to",
               "hey", "hi", "hello", "ok", "okay", "so", "um", "yo", "just", "actually", "go", "ahead", "and", "also"}


def _near_miss_verbs(catalogue: Catalogue) -> set:
    """Actions no tool of `catalogue` does, as the data's near-miss negatives say them (data.draft._near_verbs:
    cancel, delete, remove, undo, ... less any the catalogue's words use), and "move"; not "change", which asks
    a tool that sets a value as often ("change the thermostat to 17")."""
    from toolrouter.data.draft import _catalogue_words, _near_verbs

    said = _catalogue_words(catalogue)
    return (set(_near_verbs(said)) | {"move"}) - {"change"} - set(re.findall(r"[a-z]+", said))


def near_miss_verb(catalogue: Catalogue, text: str, verbs: Optional[set] = None) -> Optional[str]:
    """The verb a request leads with where it is an action no tool does (`_near_miss_verbs`, or `verbs`
    computed once by the caller), else None. Over the 16 gold sets (2026-12-01) every request leading with
    one is a no_tool."""
    words = _norm(text)
    k = 0
    while k < len(words) and words[k] in _LEAD_WORDS:
        k += 1
    if k == len(words):
        return None
    return words[k] if words[k] in (verbs if verbs is not None else _near_miss_verbs(catalogue)) else None


def _unsaid(readings: list, readers: dict[str, Reader], required: Sequence[str]) -> list[str]:
    """The required times and dates of a call that the request says no value of, as the data's readers read
    them (`readings`: said_readings of `readers`; a scratch router writes "07:00" for "a study room at Central
    on January 5, 2027"): the call is the
    data's own "missing start_time for ..." ask. Numbers and choices are not judged so: they are said in
    words no reader knows ("raise the seat", "every other Monday") far more often than times and dates."""
    timed = [a for a in required if a in readers and readers[a].kind in ("time", "date")]
    if not timed:
        return []
    read = {a for *_, a in readings}
    return [a for a in timed if a not in read]


def _said_values(args: dict, texts: Sequence[str], readers: dict[str, Reader], required: Sequence[str],
                 order: Sequence[str], readings: Optional[list] = None) -> dict:
    """`args` with each argument the request says in the data's own words set to what it says, where the
    argument's reader reads exactly one value there: an optional argument the call leaves out is added
    ("remind me an hour before": reminder_minutes 60; "leaving at 8am": departure_time 08:00), and a value the
    request belies is replaced ("water meter shows 988": meter water, not electricity; "sunday cleaning
    every week": day sunday). Not a reading another argument's value stands on ("2 tickets" is the quantity,
    no price), not a bare number ("one GA ticket" says no price; "at 7" no time), and of overlapping
    readings the one said first ("quarter past eight in the morning" is 08:15, not "eight in the morning").
    Two values of one kind (a start and an end date) read two values each and are left to _two_said.
    A scratch router leaves out the optional arguments it was shown said far more often than it invents
    them, and picks a choice by its neighbours' words: of the dev gold sets' calls (events, home_services,
    travel, workplace, support_router, car_control) this set 10 values right and none wrong."""
    readings = said_readings(readers, texts) if readings is None else readings
    out = dict(args)
    for arg, reader in readers.items():
        if arg not in args and arg in required:
            continue
        taken = [(t, i, j) for t, i, j, v, a in readings
                 if a != arg and a in args and json.dumps(args[a]) == json.dumps(v)]
        mine = []
        for t, i, j, v, a in sorted(readings, key=lambda r: r[:3]):
            words = _norm(texts[t])[i:j]
            if a != arg or any(t == u and i < uj and ui < j for u, ui, uj in taken) or \
                    any(t == u and i < uj and ui < j for u, ui, uj, _ in mine):
                continue
            if reader.kind in ("number", "time") and len(words) == 1 and (
                    _BARE_NUMBER.fullmatch(words[0]) or re.fullmatch(r"[\d.,]+", words[0])):
                continue
            mine.append((t, i, j, v))
        if len({json.dumps(v) for *_, v in mine}) == 1:
            out[arg] = mine[0][3]
    if json.dumps(out, sort_keys=True) == json.dumps(args, sort_keys=True):
        return args
    return {a: out[a] for a in dict.fromkeys([*order, *out]) if a in out}


def longest_readings(spans: list) -> list:
    """The readings not inside a longer one (maximal munch over every reader of a tool): in "10 past 7"
    the "10" and the "7" are part of 07:10, in "March 12, 2027" the 12 is part of the date."""
    return [s for s in spans if not any(o[0] == s[0] and o[1] <= s[1] and s[2] <= o[2] and o[2] - o[1] > s[2] - s[1]
                                        for o in spans)]


def _values(spans: list) -> list:
    found: dict = {}
    for *_, v in sorted(spans, key=lambda s: s[:3]):
        found.setdefault(json.dumps(v), v)
    return list(found.values())


def _reader(sampler, schema: dict) -> Optional[Reader]:
    """The Reader of a bank sampler that turns a value into words (a table, a number range, a spoken
    time/date/number, an enum's or a boolean's words: kind "choice"); None for copied text and patterns."""
    from toolrouter.data import values as V
    from toolrouter.data.bank import _Choice, _Number, _Spoken, _Table

    forms: dict[str, set] = {}

    def add(value, surfaces) -> None:
        for surface in surfaces:
            key = " ".join(_norm(surface))
            if key:
                forms.setdefault(key, set()).add(value)

    def words(lo: int, hi: int) -> None:  # any integer in range said in words ("four" -> 4)
        for v in range(max(lo, 0), min(hi, 999) + 1):
            add(v, [V.number_words(v)])

    if isinstance(sampler, _Choice):
        for group in sampler.forms.values():
            for i, surfaces in group.items():
                add(sampler.values[i], surfaces)
        # a one-word choice said in the plural reads as that choice ("any concerts in Seattle"), where no
        # choice's own words are that plural
        for group in sampler.forms.values():
            for i, surfaces in group.items():
                for surface in surfaces:
                    many = V.plural(surface.lower()) if re.fullmatch(r"[A-Za-z]+", surface) else None
                    if many and many not in forms:
                        add(sampler.values[i], [many])
        return Reader(forms, kind="choice")
    if isinstance(sampler, _Table):
        for value, surfaces in sampler.table.items():
            add(value, surfaces if isinstance(value, bool) else [*surfaces, str(value)])
        return Reader(forms)
    if isinstance(sampler, _Number):
        words(sampler.lo, sampler.hi)
        return Reader(forms, numbers=(sampler.lo, sampler.hi, sampler.integer), kind="number")
    if isinstance(sampler, _Spoken):
        if sampler.say == "number":
            if sampler.hi - sampler.lo <= MAX_SPOKEN_RANGE:
                for v in range(sampler.lo, sampler.hi + 1):
                    add(v, V.say_number(v, sampler.unit) + (V.say_adjective(v, sampler.unit) if sampler.unit else []))
            words(sampler.lo, sampler.hi)
            integer = schema.get("type") == "integer"
            return Reader(forms, numbers=(sampler.lo, sampler.hi, integer), kind="number")
        if sampler.say == "time":
            for h in range(24):
                for m in range(60):
                    hhmm = f"{h:02d}:{m:02d}"
                    if not sampler.pattern or re.search(sampler.pattern, hhmm):
                        add(hhmm, V.say_time(hhmm))
            return Reader(forms, kind="time")
        if sampler.say == "date":
            import datetime as dt

            day = V.DATES[0]
            while day <= V.DATES[1]:
                add(day.isoformat(), V.say_date(day.isoformat()))
                day += dt.timedelta(days=1)
            return Reader(forms, iso_dates=True, kind="date")
    return None


def said_fields(catalogue: Catalogue) -> dict[str, dict[str, Reader]]:
    """{tool: {argument: Reader}} of the top-level arguments the training data says in words of their
    own (numbers, times, dates, value tables), as the bank compilation of `catalogue` samples them."""
    return _bank_fields(catalogue).said


def request_texts(conversation: Sequence[dict]) -> list[str]:
    """Where copied values come from: the user turns of a conversation, and in a conversation with
    history the tool results and the string arguments of earlier calls ("refund that one too" copies
    an order ID from a tool result, "the same for the back seats" an earlier call's value)."""
    texts = []
    for m in conversation:
        role, content = m.get("role"), m.get("content")
        if role in ("user", "tool") and isinstance(content, str) and content.strip():
            texts.append(content)
        elif role == "assistant":
            texts.extend(_call_strings(m))
    return texts


def _call_strings(message: dict) -> list[str]:
    """The string values in an earlier assistant turn's calls (OpenAI-style `tool_calls`, or an answer
    envelope as its text); a spoken reply or a malformed call gives nothing."""
    from toolrouter.formats import calls_of
    from toolrouter.formats.history import _answer_text, target_of_openai

    try:
        target = json.loads(message["content"]) if _answer_text(message) else \
            target_of_openai(message) if message.get("tool_calls") else []
    except (TypeError, ValueError):
        return []
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            if value.strip():
                found.append(value)
        elif isinstance(value, (dict, list)):
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)

    for call in calls_of(target) if target else []:
        walk(call.get("arguments"))
    return found


def boundaries(text: str) -> tuple[set[int], set[int]]:
    """(starts, ends): character offsets where a copied span may start and end (word and chunk edges)."""
    starts, ends = set(), set()
    for rx in (_WORD, _CHUNK):
        for m in rx.finditer(text):
            starts.add(m.start())
            ends.add(m.end())
    return starts, ends


def name_starts(text: str) -> list[int]:
    """Where a name may start in `text`, when its casing says which words are names: a request in
    sentence case with capitalised words past its first ("can Rocky see the vet on Friday" -> Rocky) gives
    the start of each run of capitalised words ("Blue Buffalo", never "Buffalo"; the first word, and a
    run right after it, may start one too); "I", months, days and titles ("Professor") start none.
    All lower case, upper case or title case says nothing: []. Title Case shows in its small words ("At
    The Vet"); a request without small words past its first is taken for one when most of its words and
    its first are capitalised ("who's Olivia Park in HR?" is sentence case: its "in" is not)."""
    words = list(_WORD.finditer(text))
    upper = [i for i, m in enumerate(words) if m.group()[:1].isupper() and not re.fullmatch(r"I(?:'\w+)?", m.group())]
    small = [m.group() for m in words[1:] if m.group().lower() in _SMALL_WORDS]
    titled = any(w[:1].isupper() for w in small) if small else len(upper) * 2 > len(words) and 0 in upper
    if titled or not any(i > 0 for i in upper):  # (a month says the casing is a writer's)
        return []

    def cap(i: int) -> bool:
        return i in upper and words[i].group().lower() not in _NOT_NAMES

    return [words[i].start() for i in range(len(words)) if cap(i) and (i <= 1 or not cap(i - 1))]


def pattern_candidates(texts: Sequence[str], pattern: str) -> list[str]:
    """Distinct spans of `texts` (between word, alphanumeric-run or chunk edges) that match `pattern`
    as written, upper- or lower-cased, in the form that matches (as written first)."""
    out: dict[str, None] = {}
    rx = re.compile(pattern)
    for text in texts:
        starts, ends = boundaries(text)
        for m in _ALNUM.finditer(text):
            starts.add(m.start())
            ends.add(m.end())
        ends_sorted = sorted(ends)
        for s in sorted(starts):
            for e in ends_sorted:
                if e <= s:
                    continue
                if e - s > MAX_PATTERN_SPAN:
                    break
                span = text[s:e]
                for variant in (span, span.upper(), span.lower()):
                    if rx.fullmatch(variant):
                        out.setdefault(variant)
                        break
    return list(out)


def format_candidates(texts: Sequence[str], regex: str) -> list[str]:
    """Distinct whole chunks of `texts` (whitespace to whitespace, edge punctuation off) that have the
    shape `regex` gives a format: "mark@acme.io," is the email "mark@acme.io", never "acme.io"."""
    rx = re.compile(regex)
    found = (m.group().strip(_EDGE) for text in texts for m in _CHUNK.finditer(text))
    return list(dict.fromkeys(c for c in found if rx.fullmatch(c)))


def copy_catalogue(catalogue: Catalogue, texts: Sequence[str],
                   fields: Optional[dict[str, dict[str, str]]] = None, lower: bool = False,
                   said: Optional[dict[str, dict[str, Reader]]] = None,
                   apart: Optional[dict[tuple[str, str], Union[str, list[str]]]] = None,
                   names: frozenset = frozenset(), unsaid_out: bool = False, phrases: frozenset = frozenset(),
                   ids: frozenset = frozenset(), numbered: frozenset = frozenset()) -> Catalogue:
    """`catalogue` with each copied string argument restricted to spans of `texts`: text fields get
    COPY_KEY (the grammar builder turns it into span rules), pattern fields an enum of the matching
    spans (none: a required one keeps its pattern, an optional one is left out). Nothing to copy from: the
    catalogue itself. `lower`: text spans
    of the lower-cased texts only, for a model that reads requests lower-cased (the tiny recipes'
    chatml_lower template): it writes values as it saw them, the same for every casing of a request,
    and restore_case gives them back the request's case. `said` (said_fields): a number, time, date or
    table argument becomes an enum of the values the request says; none said: a required one stays as it
    is and an optional one is left out (the data says every optional value it writes: "show me dogs up
    for adoption" has no age to give).
    `apart` {(tool, argument): value or values}: that text argument's spans may not overlap where a
    value stands in the texts, and a pattern or format argument may not be that value unless the
    request has no other (two arguments of one call are two places in the request; a value tried
    before is not tried again). `names` {(tool, argument)}: a name's span starts where a name may
    (`name_starts`) when the request's casing says where names are. `unsaid_out`: a tool with a required
    number, time or date the request does not say is left out (the data never writes a value its request
    does not say: "log a walk" is no log_walk call), unless that leaves no tool. `phrases` {(tool, argument)}: a
    name or place, whose span starts with no pronoun, auxiliary or wh-word ("how do I get from Union Station
    ..." -> start "do i get" is no span it may take). `ids` {(tool, argument)}: an ID without a pattern, which is
    one of the request's chunks that has a digit ("TK-90577", not "just" nor "one ticket"), where it has one;
    `numbered` (of `ids`): one the catalogue shows as a plain number may also be a chunk of 3 or 4 digits, not a
    year ("zone 519")."""
    fields = copied_fields(catalogue) if fields is None else fields
    said = said_fields(catalogue) if said is None else said
    texts = [t for t in texts if t.strip()]
    if not texts or not (fields or said):
        return catalogue
    spans = [_lower(t) for t in texts] if lower else list(texts)
    specs = []
    changed = False
    unsaid = []
    for spec in catalogue:
        mine, readers = fields.get(spec.name), said.get(spec.name, {})
        if not mine and not readers:
            specs.append(spec)
            continue
        props = dict(spec.properties)
        kept = said_readings({arg: reader for arg, reader in readers.items() if arg in props}, texts)
        for arg in readers:
            if arg not in props:
                continue
            schema = props[arg]
            found = _values([s[:4] for s in kept if s[4] == arg])
            if found:
                props[arg] = {k: v for k, v in schema.items() if k not in ("pattern", "format", "minimum", "maximum",
                                                                           "exclusiveMinimum", "exclusiveMaximum")} \
                    | {"enum": found}
                changed = True
            elif arg not in spec.required:
                del props[arg]
                changed = True
            elif not _says_a_value(texts, readers[arg].kind):
                unsaid.append(spec.name)
        mine = mine or {}
        for arg, kind in mine.items():
            schema = props.get(arg)
            if schema is None:
                continue
            avoid = (apart or {}).get((spec.name, arg))
            avoid = [avoid] if isinstance(avoid, str) else list(avoid or [])
            heads = [spans[i][at:] for i, t in enumerate(texts) for at in name_starts(t) or ()] \
                if kind == "text" and (spec.name, arg) in names else []
            if heads:  # "Max needs his shots, ... on January 12": the name is "Max", not "see"
                off = [(_lower(v) if lower else v).lower() for v in avoid]
                heads = [h for h in heads if not any(h.lower().startswith(v) for v in off)] or heads
                props[arg], changed = {**schema, COPY_KEY: heads, HEAD_KEY: True}, True
                if (spec.name, arg) in phrases:
                    props[arg][PHRASE_KEY] = True
            elif kind == "text":
                mine_spans = spans
                for value in avoid:
                    mine_spans = _without(mine_spans, _lower(value) if lower else value)
                shaped = format_candidates(mine_spans or spans, _ID_SHAPE + (_NUMBER_ID if (spec.name, arg) in numbered
                                                                             else "")) if (spec.name, arg) in ids else []
                if shaped:  # an ID the data draws always has a digit: the request's chunks that do
                    props[arg], changed = {**schema, "enum": shaped}, True
                    continue
                props[arg], changed = {**schema, COPY_KEY: mine_spans or spans}, True
                if (spec.name, arg) in phrases:
                    props[arg][PHRASE_KEY] = True
            else:
                found = (pattern_candidates(texts, schema["pattern"]) if kind == "pattern" else
                         format_candidates(texts, FORMATS[kind[7:]]))
                off = {v.lower() for v in avoid}  # a code or address tried before: the others, if any
                found = [f for f in found if f.lower() not in off] or found
                if found:
                    props[arg], changed = {k: v for k, v in schema.items() if k != "pattern"} | {"enum": found}, True
                elif arg not in spec.required:  # a code the request does not say is none the data would write
                    del props[arg]  # ("zip_code": "20161" made up under its pattern from "a 2016 Subaru")
                    changed = True
        specs.append(dataclasses.replace(spec, parameters={**spec.parameters, "properties": props}))
    if unsaid_out and unsaid and len(set(unsaid)) < len(specs):
        specs, changed = [s for s in specs if s.name not in unsaid], True
    return Catalogue(specs, name=catalogue.name, source=catalogue.source) if changed else catalogue


def _whole(v: str) -> re.Pattern:
    """Where `v` stands as whole words: "me" not inside "some" or "time"."""
    return re.compile((r"(?<!\w)" if v[:1].isalnum() else "") + re.escape(v) + (r"(?!\w)" if v[-1:].isalnum() else ""))


def _last_word(value: str) -> str:
    """The last anchor-like word of `value` ("the marina to" -> "to")."""
    return _ANCHOR_WORD.findall(value.lower())[-1]


def _without(texts: Sequence[str], value: str) -> list[str]:
    """`texts` cut where `value` stands: the pieces around each of its occurrences (case-blind)."""
    out, v = [], value.lower().strip()
    where = _whole(v)
    for text in texts:
        start = 0
        for m in (where.finditer(text.lower()) if v else ()):
            out.append(text[start:m.start()])
            start = m.end()
        out.append(text[start:])
    return [t for t in out if t.strip()]


def _lower(text: str) -> str:
    """`text` lower-cased where that keeps its length (so offsets map back to the request), else as is."""
    low = text.lower()
    return low if len(low) == len(text) else text


def reads_lowercase(tokenizer) -> bool:
    """True when the tokenizer's chat template lower-cases user turns (train/tiny.py chatml_lower)."""
    try:
        text = tokenizer.apply_chat_template([{"role": "user", "content": "Qz Xw"}], tokenize=False,
                                             add_generation_prompt=True)
    except Exception:  # a template that insists on a system turn or more: assume it keeps case
        return False
    return "qz xw" in text and "Qz Xw" not in text


def lower_copied(rows: Sequence[dict], catalogue: Catalogue, fmt) -> list[dict]:
    """Training rows for a model that reads requests lower-cased (reads_lowercase): each copied text
    argument of an answer that is a span of the lower-cased request is written lower-cased too, as the
    model reads it. The model then learns to copy the tokens it sees ("rome" -> "rome"), not a
    per-word case mapping it could only memorise ("rome" -> "Rome"); restore_case gives the value back
    the request's case at inference, and `--copy` constrains it to those same lower-cased spans. Rows
    whose answers keep their case are returned as they are (the same dict)."""
    fields = copied_fields(catalogue)
    out = []
    for row in rows:
        messages = row.get("messages") or []
        new = None
        for k, m in enumerate(messages):
            if m.get("role") != "assistant":
                continue
            try:
                target = fmt.target_of(m)
            except Exception:  # a spoken reply in a conversation's history: nothing to lower
                continue
            calls = target if isinstance(target, list) else [target]
            texts = [_lower(t) for t in request_texts(messages[:k])]
            changed = False
            lowered = []
            for call in calls:
                args = dict(call.get("arguments") or {})
                for arg, kind in fields.get(call.get("tool"), {}).items():
                    value = args.get(arg)
                    if kind == "text" and isinstance(value, str) and _lower(value) != value \
                            and any(_lower(value) in t for t in texts):
                        args[arg], changed = _lower(value), True
                lowered.append({**call, "arguments": args} if "arguments" in call else call)
            if changed:
                new = list(messages) if new is None else new
                new[k] = {**m, **fmt.assistant_message(lowered if isinstance(target, list) else lowered[0], catalogue)}
        out.append(row if new is None else {**row, "messages": new})
    return out


# A copied value never starts with a preposition, nor is an article or possessive alone: no gold value of
# any set here does, and a small router's worst spans were those ("search for online photography classes"
# -> topic "for"). Only spans no answer should be are taken away, so every other answer is unchanged.
_NO_START = {"to", "on", "in", "into", "onto", "from", "for", "at", "with", "of", "by", "about"}
_NOT_ALONE = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that"}
# an ID's shape: letters and digits ("TK-90577", "AB1234"), a number after "#" ("#4471") or five digits or more
# ("482913"); not a day or a year ("1", "2026")
_ID_SHAPE = r"#\w+|(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[A-Za-z0-9][\w-]*|\d{5,}"
_NUMBER_ID = r"|(?!(?:19|20)\d\d$)\d{3,4}"  # a code shown as a number: 3 or 4 digits, never a year
# words a request opens with that are no name ("Book a train to Naples", "Please find ..."), beside the catalogue's own
_OPENERS = {"please", "pls", "can", "could", "would", "will", "i", "i'm", "i'd", "hey", "hi", "hello", "ok", "okay",
            "book", "find", "get", "show", "search", "add", "check", "send", "set", "tell", "make", "give", "need",
            "want", "looking", "reserve", "order", "what", "what's", "how", "where", "when", "who", "is", "are", "do",
            "does", "any", "my", "the", "a", "an", "yo", "quick", "um", "so", "also", "and", "then", "now"}
# no name or place starts with these (PHRASE_KEY); a message, title or query may ("can we meet", "how to bake bread")
_NOT_PHRASE_START = {"do", "does", "did", "i", "i'm", "i'd", "i'll", "i've", "you", "we", "they", "it", "it's", "me",
                     "is", "are", "was", "were", "be", "been", "can", "could", "would", "should", "what", "what's",
                     "how", "where", "when", "who", "why", "which", "there", "here", "please", "thanks"}


def span_rule(builder, texts: Sequence[str], head: bool = False, phrase: bool = False) -> str:
    """Add to `builder` (toolrouter.formats.grammar's schema walker) the rules of a JSON string whose
    content is a span of one of `texts` (`head`: one that starts where its text starts) that does not
    start with a preposition (_NO_START) nor stop after a leading article or possessive (_NOT_ALONE), and
    (`phrase`: a name or place) does not start with a pronoun, auxiliary or wh-word (_NOT_PHRASE_START);
    returns the name of its root rule."""
    from toolrouter.formats.grammar import _lit

    root = builder._name()
    builder.rules[root] = ""  # reserve the name before the point rules take theirs
    heads = []
    for t, text in enumerate(texts):
        starts, ends = boundaries(text)
        points = sorted(starts | ends)
        names = {p: f"{root}_{t}_{i}" for i, p in enumerate(points[:-1])}
        for i, p in enumerate(points[:-1]):
            nxt = points[i + 1]
            # JSON-escaped as json.dumps(ensure_ascii=False) writes it, then as an EBNF literal
            piece = _lit(json.dumps(text[p:nxt], ensure_ascii=False)[1:-1])
            if nxt == points[-1]:
                body = piece
            elif nxt in ends:
                body = f"{piece} {names[nxt]} | {piece}"
            else:
                body = f"{piece} {names[nxt]}"
            builder.rules[names[p]] = body
        first = min(starts)
        every, kept = [], []
        for i, p in enumerate(points[:-1]):
            if p not in starts or head and p != first:
                continue
            every.append(names[p])
            word = _WORD.match(text, p)
            word = word.group().lower() if word else ""
            if word in _NO_START or phrase and word in _NOT_PHRASE_START:  # "search for" -> "for"; "do i get"
                continue
            if word not in _NOT_ALONE:
                kept.append(names[p])
            elif points[i + 1] != points[-1]:  # "the", "my": only with what follows ("my Essay", never "my")
                alone = f"{root}_h{t}_{i}"
                builder.rules[alone] = f"{_lit(json.dumps(text[p:points[i + 1]], ensure_ascii=False)[1:-1])} " \
                                       f"{names[points[i + 1]]}"
                kept.append(alone)
        heads += kept or every  # (a text of prepositions alone keeps them)
    builder.rules[root] = f'"\\"" ({" | ".join(heads)}) "\\""'
    return root


def copy_grammars(catalogue: Catalogue, conversations: Sequence[Sequence[dict]], tokenizer,
                  vocab_size: Optional[int] = None, stop_token_ids: Optional[list[int]] = None,
                  fmt=None, no_tool: bool = True, apart: Optional[Sequence[Optional[dict]]] = None) -> list:
    """One compiled answer grammar per conversation (in the answer format `fmt`, default the JSON
    envelope), with the copied arguments restricted to spans of its user turns and the said ones to
    the values it says. Conversations with nothing to copy share the catalogue's cached grammar.
    `no_tool=False`: a call is required (the server's tool_choice "required" or a named tool).
    `apart` (per conversation, copy_catalogue's `apart`): spans kept off a value another argument took."""
    from toolrouter.formats.grammar import answer_ebnf, compile_grammar

    def ebnf(cat: Catalogue) -> Optional[str]:
        text = fmt.grammar(cat) if fmt is not None else None
        return text if text is not None else answer_ebnf(cat, no_tool=no_tool)

    plain = compile_grammar(catalogue, tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids,
                            ebnf=fmt.grammar(catalogue) if fmt is not None else None, no_tool=no_tool)
    bank = _bank_fields(catalogue)  # once: each lookup fingerprints the whole catalogue
    lower = reads_lowercase(tokenizer)
    out = []
    for i, conv in enumerate(conversations):
        derived = copy_catalogue(catalogue, request_texts(conv), bank.copied, lower=lower, said=bank.said,
                                 apart=apart[i] if apart else None, names=bank.names, unsaid_out=no_tool,
                                 phrases=bank.phrases, ids=bank.ids, numbered=bank.numbered)
        if derived is catalogue:
            out.append(plain)
        else:
            out.append(compile_grammar(derived, tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids,
                                       ebnf=ebnf(derived), cache=False))
    return out


def restore_case(answers: Sequence[str], conversations: Sequence[Sequence[dict]], catalogue: Catalogue,
                 fmt=None) -> list[str]:
    """`answers` with each copied text argument that is a lower-cased span of its request (and not a
    span as written) put back in the request's case, re-written canonically in the answer format `fmt`
    (default: the JSON envelope); every call of a several-call answer is restored. Other answers are
    returned unchanged."""
    from toolrouter.formats.parse import format_calls, parse_tool_call

    fields = copied_fields(catalogue)
    out = []
    for answer, conv in zip(answers, conversations):
        result = fmt.parse(answer, catalogue) if fmt is not None else parse_tool_call(answer, catalogue)
        texts = request_texts(conv)
        changed = False
        calls = [dict(c, arguments=dict(c["arguments"])) for c in result.calls] if result.kind == "call" else []
        for call in calls:
            args = call["arguments"]
            for arg, kind in fields.get(call["tool"], {}).items():
                value = args.get(arg)
                if kind != "text" or not isinstance(value, str) or any(value in t for t in texts):
                    continue
                for t in texts:
                    at = _lower(t).find(value)
                    if at >= 0 and _lower(t) != t:
                        args[arg], changed = t[at:at + len(value)], True
                        break
        if changed:
            target = calls[0] if len(calls) == 1 else calls
            answer = fmt.answer_text(target, catalogue) if fmt is not None else format_calls(calls, catalogue)
        out.append(answer)
    return out


def _anchored(value: str, texts: Sequence[str], words: set) -> bool:
    """Whether `value` stands somewhere in `texts` right after one of `words` ("from" the airport)."""
    v = value.lower()
    for text in texts:
        low = text.lower()
        at = low.find(v) if v else -1
        while at >= 0:
            before = _ANCHOR_WORD.findall(low[:at])
            if before and before[-1] in words:
                return True
            at = low.find(v, at + 1)
    return False


def _anchor_score(args: dict, texts: Sequence[str], tool_anchors: dict) -> int:
    """How many of `args`' string values stand right after one of their argument's anchor words."""
    return sum(_anchored(v, texts, tool_anchors[a]) for a, v in args.items()
               if isinstance(v, str) and tool_anchors.get(a))


def _overruns(args: dict, tool_anchors: dict) -> list[str]:
    """The arguments whose string value ends on a word that introduces another argument of the call and
    never its own ("the marina to" as the pickup of a taxi whose destination follows "to")."""
    out = []
    for a, v in args.items():
        words = _ANCHOR_WORD.findall(v.lower()) if isinstance(v, str) else []
        if len(words) > 1 and words[-1] not in tool_anchors.get(a, set()) and any(
                words[-1] in tool_anchors.get(b, set()) for b in args if b != a):
            out.append(a)
    return out


def _placement(args: dict, texts: Sequence[str], tool_anchors: dict) -> int:
    """_anchor_score less the values that run into the next argument's word (_overruns)."""
    return _anchor_score(args, texts, tool_anchors) - len(_overruns(args, tool_anchors))


STRAY_TRIES = 3  # re-decodes of a call whose copied value stands after none of its anchor words


def _anchor_free(texts: Sequence[str], words: set, value: str) -> bool:
    """Whether one of `words` stands in `texts` with something after it that is not `value`: a place an
    anchored value could be copied from."""
    v = value.lower()
    for low in (text.lower() for text in texts):
        for m in _ANCHOR_WORD.finditer(low):
            rest = low[m.end():].strip()
            if m.group() in words and rest and not rest.startswith(v):
                return True
    return False


def _strays(call: dict, texts: Sequence[str], fields: dict, where: dict) -> dict:
    """{(tool, argument): [what to keep it off]} for the copied values of `call` that stand after
    none of their argument's anchor words while one stands elsewhere in `texts` (kept off the value), or
    that run into another argument's word (kept off that word, so the value without it stays possible)."""
    tool, args = call["tool"], call["arguments"]
    tool_anchors = where.get(tool, {})
    over = _overruns(args, tool_anchors)
    return {(tool, a): [_last_word(v) if a in over else v]
            for a in fields.get(tool, {})
            if isinstance(v := args.get(a), str) and tool_anchors.get(a)
            and (a in over or not _anchored(v, texts, tool_anchors[a]) and _anchor_free(texts, tool_anchors[a], v))}


# Words after which a copied value cannot end: "my" (hotel), "the" (Golden Gate Bridge), "Bank of" (England)
_OPEN_ENDS = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that", "these", "those", "its",
              "of", "and", "&"}
_SMALL_WORDS = {"the", "a", "an", "to", "from", "of", "in", "on", "at", "for", "with", "and", "my", "me", "is", "it"}
_NEXT_WORD = re.compile(r" ([\w'&-]+)")
MAX_EXTEND = 4  # words a value may be stretched by
MAX_CLAUSE = 8  # the same for a phrase or sentence (CLAUSE_KINDS)
_CLOSERS = {"please", "pls", "plz", "thanks", "thx", "cheers", "asap", "now"}


_LEADS = {"to", "on", "in", "into", "onto", "from", "for", "at", "with"}


def _opens_own_place(words: Sequence[str], own: set) -> bool:
    """Whether `words` start a phrase about the tool's own thing: a preposition whose next three words
    say one of the tool's name or description words ("to my watchlist", "on the bedroom tv")."""
    return bool(words) and words[0].lower() in _LEADS and any(w.lower().strip(",.") in own for w in words[1:4])


def _stretched(value: str, texts: Sequence[str], stops: set, clause: bool = False, own: set = frozenset()) -> str:
    """`value` run on to the end of the name or phrase it stops inside, where its request shows that it
    stops inside one: after a word a phrase cannot end on ("my" -> "my hotel"), or in a run of
    capitalised words or a name and its number ("Central" -> "Central Station", "12 Oak" -> "12 Oak
    Street", "Invoice" -> "Invoice 4471"; not in a request typed in Title Case or capitals). Never into
    a word that introduces an argument (`stops`: "the Ritz" stays before "to the opera"), nor across
    punctuation. `clause` (a title, summary, message or to-do): on to the end of its clause, word by
    word, up to the next such word, punctuation or a closing "please". The value as it was where it is
    no span, or nothing runs on."""
    v = value.lower().strip()
    where = _whole(v) if v else None
    for text in texts:
        # _lower keeps offsets, or leaves the text as it is (and then a lower-cased value is not found)
        found = where.search(_lower(text)) if where else None
        if found is None:
            continue
        at = found.start()
        # Title Case or capitals: its small words are capitalised too ("From The Ritz To ...")
        small = [w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _SMALL_WORDS]
        titled = any(w[:1].isupper() for w in small[1:]) if len(small) > 1 else text.upper() == text
        end = found.end()
        last = (re.findall(r"[\w'&-]+", text[at:end]) or [""])[-1]
        for _ in range(MAX_CLAUSE if clause else MAX_EXTEND):
            m = _NEXT_WORD.match(text, end)
            if m is None or not last or m.group(1).lower() in stops:
                break
            nxt = m.group(1)
            if clause and _opens_own_place(re.findall(r"[\w'&-]+", text[end:])[:4], own):
                break  # "add Dune to my watchlist": the title ends where the tool's own place is said
            named = (not titled and last[:1].isupper() and (nxt[:1].isupper() or nxt.isdigit())
                     and nxt.split("'")[0] != "I"  # "text Sam I'm late": the pronoun starts a clause
                     and nxt.lower() not in _CALENDAR and last.lower() not in _CALENDAR)  # "Naples April 2": a date
            if not (clause and nxt.lower() not in _CLOSERS) and last.lower() not in _OPEN_ENDS and not named:
                break
            last, end = nxt, m.end()
        if end == at + len(v):
            return value
        more = text[at + len(v):end]
        return value + (more.lower() if value == value.lower() and text[at:at + len(v)] != value else more)
    return value


# small words inside a name ("Lessons in Chemistry", "The Covenant of Water", "Meet the Author"), where they do
# not introduce another argument of the tool (a name never runs across "to" in "from Union Square to Penn Station")
_NAME_JOINS = {"of", "the", "and", "in", "a", "an", "de", "la", "le", "du", "von", "van"}
# words that close a name: a preposition or small word, a verb of being, a number ("rate Breaking Bad five stars")
_NAME_ENDS = _LEADS | _SMALL_WORDS | {"by", "before", "after", "until", "so", "but", "because", "since", "was", "were",
                                      "are", "has", "had", "one", "two", "three", "four", "five", "six",
                                      "seven", "eight", "nine", "ten"}


def _titled(text: str) -> bool:
    """Whether `text` is typed in Title Case or capitals: most of its small words past the first are
    capitalised too ("From The Ritz To The Opera"; not "hold a copy of The Women and send it to ..."). An
    article says nothing: a title starts with one ("weeks with The Power Broker")."""
    small = [w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _SMALL_WORDS - {"the", "a", "an"}][1:]
    return sum(w[:1].isupper() for w in small) * 2 > len(small) if small else text.upper() == text


def _name_run(value: str, texts: Sequence[str], stops: set) -> Optional[tuple[str, bool]]:
    """The run of capitalised words `value` stands in, where the request's casing shows one: "Water" ->
    "The Covenant of Water", "Wing" -> "Fourth Wing", "Power Broker" -> "The Power Broker", "Meet" ->
    "Meet the Author: Ann Patchett". Words join across one small word that introduces no argument of the
    tool (`stops`) and across a colon; a sentence's first word, "I", months and days start none; nothing
    runs across other punctuation. (run, ends): `ends` is True where the next word closes the name (a
    preposition or small word: "Circe by two more weeks" is "Circe"). None: `value` is not all
    capitalised words, or the request is lower case, Title Case or capitals."""
    v = value.strip()
    if not v:
        return None
    where = _whole(v.lower())
    for text in texts:
        found = where.search(_lower(text).lower())
        if found is None or _titled(text):
            continue
        toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
        cores = []  # (start, end) of each token less its edge punctuation
        for a, b, t in toks:
            lead = len(t) - len(t.lstrip(_EDGE))
            tail = len(t) - len(t.rstrip(_EDGE))
            cores.append((a + lead, b - tail) if b - tail > a + lead else (a, a))
        words = [text[a:b] for a, b in cores]

        def first(k: int) -> bool:  # a sentence's first word
            return k == 0 or toks[k - 1][2].rstrip("\"')")[-1:] in ".!?"

        def cap(k: int) -> bool:
            w = words[k]
            return bool(w[:1].isupper()) and w.lower() not in _NOT_NAMES and not first(k)

        def open_after(k: int) -> bool:  # no punctuation but a colon between word k and the next
            return toks[k][1] == cores[k][1] or text[cores[k][1]:toks[k][1]] == ":"

        inside = [k for k, (a, b) in enumerate(cores) if a < found.end() and b > found.start()]
        if not inside or not all(words[k][:1].isupper() or words[k].lower() in _NAME_JOINS for k in inside) \
                or not words[inside[0]][:1].isupper() or not words[inside[-1]][:1].isupper() \
                or any(words[k].lower() in _NOT_NAMES for k in inside):
            return None

        def join(k: int) -> bool:
            return words[k].lower() in _NAME_JOINS and words[k].lower() not in stops and words[k].islower()

        lo, hi = inside[0], inside[-1]
        fixed = first(lo)  # a sentence's first word may be any word: "Is the Orange Line running" runs on from none
        while not fixed and lo > 0 and open_after(lo - 1):
            if cap(lo - 1):
                lo -= 1
            elif lo > 1 and join(lo - 1) and open_after(lo - 2) and cap(lo - 2):
                lo -= 2
            else:
                break
        while not fixed and hi + 1 < len(words) and open_after(hi):
            if cap(hi + 1):
                hi += 1
            elif hi + 2 < len(words) and join(hi + 1) and open_after(hi + 1) and cap(hi + 2):
                hi += 2
            else:
                break
        run = text[cores[lo][0]:cores[hi][1]]
        if not re.search(r"['’]s$", v):  # "Kenji Watanabe's extension": the name, not its 's
            run = re.sub(r"['’]s$", "", run)
        nxt = words[hi + 1] if hi + 1 < len(words) and open_after(hi) else ""
        ends = nxt.lower() in _NAME_ENDS and nxt.islower()  # (a number runs on: "Lab Report 3", _stretched)
        return run, ends
    return None


_PLACE_WORDS = _LEADS | {"near", "around", "via", "towards", "called", "named", "titled"}


def _anchored_names(args: dict, texts: Sequence[str], tool_anchors: dict, fields: dict, clauses: set) -> dict:
    """`args` with each copied name or place that stands after none of its anchor words replaced by the one
    name the request's capitals show right after a preposition only that argument is introduced by ("from
    Chinatown to Faneuil Hall": origin "Chinatown", destination "Faneuil Hall", where a scratch router wrote
    "the morning" and "14"); unchanged where the request shows none, or more than one, or another argument
    holds it."""
    out = dict(args)
    texts = [t for t in texts if not _titled(t)]
    # per text argument: the words that introduce it, those of the others, and the prepositions only it has
    words = {a: (tool_anchors.get(a, set()), set().union(*(w for b, w in tool_anchors.items() if b != a and b in fields)))
             for a, kind in fields.items() if kind == "text" and a not in clauses and tool_anchors.get(a)}
    after = {a: re.compile(r"\b(" + "|".join(map(re.escape, sorted(preps))) + r")\s+(\S+)")
             for a, (mine, others) in words.items() if (preps := {w for w in mine if w in _PLACE_WORDS} - others)}
    # twice: a name another argument held astray is free once that one has moved ("subway from Central Square to
    # Kendall" read as origin "wheelchair", destination "Central Square": the destination moves first)
    for a in [*after, *after]:
        (mine, others), v = words[a], out.get(a)
        if not isinstance(v, str) or _anchored(v, texts, mine):
            continue
        taken = [str(w) for b, w in out.items() if b != a and isinstance(w, (str, int, float))]
        found = []
        for text in texts:
            for m in after[a].finditer(text):
                word = m.group(2).strip(_EDGE)
                if not word[:1].isupper() or word.lower() in _NOT_NAMES:
                    continue
                run = _name_run(word, [text], mine | others)
                name = run[0] if run else word
                if name not in found and not any(_overlap(name, t) for t in taken):
                    found.append(name)
        if len(found) == 1:
            out[a] = found[0]
    return out


def _started(value: str, texts: Sequence[str], anchors: set, others: Sequence[str]) -> str:
    """`value` (a message or to-do) run back to the word that introduces it in the data (`anchors`:
    "saying", "telling them") or a colon, where one stands before it in the same sentence with no other
    argument's value between: "email Patel saying thanks for the recommendation letter" -> "thanks for
    the recommendation letter", not "letter"; "... Professor Garcia: can we meet" -> "can we meet".
    The scratch router starts a long span late far more often than early."""
    v = value.lower().strip()
    if not v:
        return value
    where = _whole(v)
    words = "|".join(re.escape(w) for w in sorted(anchors) if w)
    mark = re.compile((r"\b(?:" + words + r")\b|:") if words else ":")
    for text in texts:
        low = _lower(text)
        found = where.search(low)
        if found is None:
            continue
        at = found.start()
        ends = [m.end() for m in mark.finditer(low[:at])]
        gap = text[ends[-1]:at] if ends else ""
        if not gap.strip() or re.search(r"[.!?;]", gap) or len(gap.split()) > MAX_CLAUSE \
                or any(o.strip() and re.search(r"\b" + re.escape(o.lower().strip()) + r"\b", gap.lower()) for o in others):
            return value
        gap = gap.lstrip()
        return (gap.lower() if value == value.lower() and text[at:at + len(v)] != value else gap) + value
    return value


def _trimmed(args: dict, texts: Sequence[str], tool_anchors: dict, fields: dict,
             clauses: set = frozenset(), own: set = frozenset(), said: set = frozenset()) -> dict:
    """`args` with each copied text value that stops inside a name or phrase run on to its end
    (_stretched; the arguments in `clauses` to the end of their clause), one in `said` (a message or
    to-do) run back to the word that introduces it (_started), and one that still runs into another
    argument's word ("the Ritz to") cut before it."""
    out = dict(args)
    stops = set().union(*tool_anchors.values()) if tool_anchors else set()
    over = _overruns(args, tool_anchors)
    for a, kind in fields.items():
        v = out.get(a)
        if kind != "text" or not isinstance(v, str):
            continue
        # another argument's number, as the request says it ("15" of 15.5, "84" of 84.50): a name runs
        # into it in "pay PG&E 84.50", "give Carlos 30 dollars", and it is never part of the name
        numbers = {f for b, w in out.items() if b != a and isinstance(w, (int, float)) and not isinstance(w, bool)
                   for f in (str(w), str(int(w)))}
        if a in over:
            cut = v[:v.lower().rfind(_last_word(v))].rstrip(" ,")
            v = cut or v
        words = v.split()
        if len(words) > 1 and words[-1] in numbers:
            v = " ".join(words[:-1])
        mine = stops
        if a in said:
            v = _started(v, texts, tool_anchors.get(a, set()),
                         [str(w) for b, w in out.items() if b != a and not isinstance(w, (dict, list))])
            # and it runs past the words of arguments already said before it ("message Professor Brown that the
            # link to the quiz is broken": "to" is not Brown's here)
            low = [_lower(t).lower() for t in texts]
            at = min((t.find(v.lower()) for t in low if v.lower() in t), default=-1)
            before = {b for b, w in out.items() if b != a and not isinstance(w, (dict, list, bool)) and at > 0
                      and any(0 <= t.find(str(w).lower()) < at for t in low)}
            mine = set().union(*(ws for b, ws in tool_anchors.items() if b not in before)) if tool_anchors else set()
        named = _name_run(v, texts, mine)
        if named and not any(_overlap(named[0], str(w)) for b, w in out.items() if b != a and isinstance(w, str)):
            v = named[0]  # "Water" -> "The Covenant of Water"
        longer = v if named and named[1] else _stretched(v, texts, mine, a in clauses, own)
        if longer != v and (any(_overlap(longer, str(w)) for b, w in out.items() if b != a and isinstance(w, str))
                            or set(longer[len(v):].split()) & numbers):
            longer = v  # it would run into another argument's value
        # a title copied with the tool's own place ("Arrival to my watchlist"), or one that stopped on its
        # preposition ("Arrival to") and ran on into it: cut before it; no value ends on the preposition or
        # article of a phrase it stopped inside ("Pedigree for my")
        out[a] = _off_own_place(longer, own, texts) if a in clauses else _dangling_off(longer, texts)
        # a message that is a question ends with its question mark, where it ends the request ("...: can we
        # meet during office hours?")
        if a in said and out[a] and any(re.search(re.escape(_lower(out[a]).lower()) + r"\?\s*$", _lower(t).lower())
                                        for t in texts):
            out[a] += "?"
    return out


def _off_own_place(value: str, own: set, texts: Sequence[str] = ()) -> str:
    """`value` cut before a phrase about the tool's own thing ("Arrival to my watchlist" -> "Arrival")."""
    words = value.split()
    cut = next((i for i in range(1, len(words)) if _opens_own_place(words[i:], own)), len(words))
    return " ".join(words[:cut]) if cut < len(words) else _dangling_off(value, texts)


def _dangling_off(value: str, texts: Sequence[str]) -> str:
    """`value` without the preposition or article it ends on where the request goes on past it, inside
    the phrase it stopped in ("Arrival to my watchlist" -> "Arrival", "Pedigree for my dog" -> "Pedigree";
    a title that ends the request, "Hold On", stays); its first word always stays."""
    words = value.split()
    v = value.lower().strip()
    if not v or not any(re.search(re.escape(v) + r"\s+\w", _lower(t).lower()) for t in texts):
        return value
    cut = len(words)
    while cut > 1 and words[cut - 1].lower() in _LEADS | _OPEN_ENDS:
        cut -= 1
    return " ".join(words[:cut]) if cut < len(words) else value


def _own_words(catalogue: Catalogue, tool: str) -> set:
    """The content words of a tool's name and description ("watchlist", "tv", "movie", "save")."""
    if tool not in catalogue.names:
        return set()
    spec = catalogue[tool]
    words = re.findall(r"[a-z]+", f"{spec.name.replace('_', ' ')} {spec.description or ''}".lower())
    return {w for w in words if len(w) > 1 and w not in _OPEN_ENDS and w not in _LEADS
            and w not in ("or", "and", "of", "by", "as", "is")}


# Words of a tool's text that say nothing of which tool it is.
_FUNCTION_WORDS = frozenset("""a an the to of for in on at by with from and or my me i is are be it this that
your you as per which what when where who how can please want need would like do does its into up out about
whether there their they them our we us will should just one any all some not no new""".split())
TOOL_WORDS_MARGIN = 3.5  # idf units (ln of tools / tools saying the word): two words only the other tool says


def _tool_words(catalogue: Catalogue) -> dict[str, set]:
    """Each tool's content words: its name, description, argument names and their descriptions (not enum
    values: a choice's words are shared across tools, car_control's "driver" and "rear"), in the singular."""
    from toolrouter.data.values import singular

    out = {}
    for name in catalogue.names:
        spec = catalogue[name]
        text = [spec.name.replace("_", " "), spec.description or ""]
        for arg, schema in spec.properties.items():
            text += [arg.replace("_", " "), str(schema.get("description", ""))]
        out[name] = {singular(w) for w in re.findall(r"[a-z]+", " ".join(text).lower())
                     if len(w) > 1 and w not in _FUNCTION_WORDS}
    return out


def _same_word(a: str, b: str) -> bool:
    """Two singular words that are one word, or of one stem of five letters or more ("electrician" and
    "electrical", "reading" and "readings" once singular)."""
    return a == b or len(os.path.commonprefix([a, b])) >= 5


def said_tool(catalogue: Catalogue, texts: Sequence[str], tool: str, words: Optional[dict] = None) -> Optional[str]:
    """The tool whose own words the request says, where it says them far more than `tool`'s: each request word
    counts ln(tools / tools whose words it is) for every tool it is a word of, and another tool leading `tool`
    by TOOL_WORDS_MARGIN or more is returned ("electricity meter reading 45872" is submit_meter_reading, not the
    track_technician a scratch router read off the number's shape). None where none leads so."""
    words = words if words is not None else _tool_words(catalogue)
    if tool not in words or len(words) < 2:
        return None
    score = _tool_scores(words, texts)
    best = max(score, key=lambda name: score[name])
    return best if best != tool and score[best] - score[tool] >= TOOL_WORDS_MARGIN else None


def _tool_scores(words: dict, texts: Sequence[str]) -> dict[str, float]:
    """Each tool's score for the request: ln(tools / tools whose words it is) for every request word of it."""
    from toolrouter.data.values import singular

    score = dict.fromkeys(words, 0.0)
    said = {singular(w) for t in texts for w in re.findall(r"[a-z]+", t.lower())
            if len(w) > 1 and w not in _FUNCTION_WORDS}
    for w in said:
        hits = [name for name, own in words.items() if any(_same_word(w, o) for o in own)]
        for name in hits:
            score[name] += math.log(len(words) / len(hits))
    return score


OUT_OF_SCOPE_LEAD = 1.0  # idf units: a word of the tool's that no other tool says (ln 3 = 1.1 of three tools)


def named_in_scope(catalogue: Catalogue, texts: Sequence[str], reason: str, words: dict) -> Optional[str]:
    """The tool an "out of scope" no_tool belies: the request names something (a name its capitals show:
    "sign me up for Toddler Storytime", "srch the catalogue for Kazuo Ishiguro") and says words of one tool
    more than any other's (by OUT_OF_SCOPE_LEAD). Only for the router's out-of-scope and capability reasons:
    a missing argument, a near miss or a question about the domain is its own answer."""
    if not re.match(r"\s*(out of scope|question: capabilities)", reason or "") or len(words) < 2 \
            or not any(name_starts(t) for t in texts):
        return None
    score = _tool_scores(words, texts)
    first, second = sorted(score.values(), reverse=True)[:2]
    return max(score, key=lambda name: score[name]) if first - second >= OUT_OF_SCOPE_LEAD else None


# words that name no thing, place or person, besides _FUNCTION_WORDS ("how many books": query "many")
_EMPTY_WORDS = frozenset("""many much more less something anything everything nothing stuff thing things ones mine it
them him her myself yourself here there""".split())


def _names_nothing(value: Any, texts: Sequence[str]) -> bool:
    """Whether a copied value is only words that name nothing ("me" of "unlock a scooter for me", "many" of
    "how many books can I check out"); one the request capitalises may be a title ("Tomorrow, and Tomorrow")."""
    if not isinstance(value, str) or not value.strip():
        return False
    words = re.findall(r"[a-z']+", value.lower())
    if not words or not all(w in _FUNCTION_WORDS or w in _EMPTY_WORDS for w in words):
        return False
    where = _whole(value.lower().strip())
    for text in texts:
        found = where.search(_lower(text).lower())
        if found and text[found.start():found.end()] != text[found.start():found.end()].lower():
            return False
    return True


# places said as one bare lower-case word ("near home"): any other such word copied as a place or name is none
_BARE_PLACES = frozenset("home work school downtown uptown midtown campus town office".split())


def _names_no_place(args: dict, texts: Sequence[str], optional: set, readings: list) -> dict:
    """`args` less the optional names and places (`optional`: PHRASE_KINDS) copied as what names none: one bare
    lower-case word ("bring" of "I'll bring it in at 8" as the shop, "almost" of "I'm almost on empty" as the
    location; not "home", nor a capitalised "Midas"), or words on another argument's reading ("Dec 10" of
    "on Dec 10 2026", the date). A scratch router adds an optional name where the request says more words than
    its templates do; the value it copies then is the nearest word, which the catalogue's shape rules out."""
    out = dict(args)
    for a, v in args.items():
        if a not in optional or not isinstance(v, str) or not v.strip():
            continue
        value = _norm(v)
        for t, text in enumerate(texts):
            found = _whole(v.lower().strip()).search(_lower(text).lower())
            if not found:
                continue
            shown = text[found.start():found.end()]
            bare = len(value) == 1 and shown == shown.lower() and not re.search(r"\d", shown) \
                and value[0] not in _BARE_PLACES
            words = _norm(text)
            at = next((k for k in range(len(words) - len(value) + 1) if words[k:k + len(value)] == value), None)
            inside = at is not None and any(
                i == t and first < at + len(value) and at < end and other != a and args.get(other) == said
                for i, first, end, said, other in readings)
            if bare or inside:
                del out[a]
            break
    return out


def _overlap(a: str, b: str) -> bool:
    a, b = a.lower().strip(), b.lower().strip()
    return bool(a and b) and (a in b or b in a)


def copy_decode(generate, catalogue: Catalogue, conversations: Sequence[Sequence[dict]], tokenizer,
                vocab_size: Optional[int] = None, stop_token_ids: Optional[list[int]] = None, fmt=None,
                no_tool: bool = True, answers: Optional[Sequence[str]] = None) -> list[str]:
    """Answers under the copy grammars (copy_grammars), with two copied arguments of one kind in one call
    (two texts, or two codes: "20 AUD to NZD") kept to two places of the request.
    `generate(conversations, grammars)` -> answers (greedy, as the
    caller decodes). First, a no_tool whose reason says a required argument is missing ("missing hours for
    book_study_room", the reason the data writes for such asks) while the request says every argument it
    names, as the data's readers read them ("... for an hour"; an enum by any word the data says it with; a name
    where the request's casing shows as many names as the tool needs), is decoded again under a grammar of that
    one tool with a call required, and the call is taken: the router's own reason, checked against the request.
    Then: a small router that has learned *that* it copies but not *where from* writes
    "from the gym to the mall" as pickup "the gym", destination "the gym", or swaps the two. So:

      - a call whose two copied text arguments overlap ("the gym" twice) is decoded twice more, once
        with the second argument's spans kept off the first one's value and once the other way round,
        and the answer whose values stand after the words the training data says before them (anchors:
        "from" {pickup}, "to" {destination}) most often wins (ties: the first argument kept);
      - a call whose two copied text arguments each stand after the other's anchor words and neither
        after its own ("from the marina to the casino" -> pickup "the casino") gets them swapped;
      - a one-call answer whose copied value stands after none of its argument's anchor words while one
        of them stands elsewhere in the request ("french food in Lyon, money's no object" -> city
        "money's") is decoded again with the value kept off, up to STRAY_TRIES times, each try also
        off the values tried before; the first try whose values stand after their anchors more often
        wins, unless its new value is what another argument of the call says ("at 19:30" as the
        restaurant of a table booked for 19:30). A value that runs into the word of another argument
        ("the marina to" as the pickup) is decoded again the same way, kept off that word only, and a
        try wins on anchored values less such overruns. A 2-layer scratch router picks the start of a
        span poorly; its next guesses, not a rule, give the value;
      - last, by rule: a copied text value that stops inside a name or phrase runs on to its end ("12
        Oak" -> "12 Oak Street", a title or message to the end of its clause: `_stretched`), and one
        that still runs into another argument's word is cut before it ("the Ritz to": `_trimmed`). The
        scratch router ends spans early far more often than it starts them wrong.

    Reading the request against the catalogue, as the data says things:
      - a call whose tool's own words the request says far less than another tool's (said_tool) is decoded
        again as that tool, a call required, as a belied no_tool is;
      - a call for a request that leads with an action no tool does ("cancel my hold on ...") is the
        near-miss no_tool, and one whose required time or date the request never says is the missing ask;
      - an argument the request says in the data's words is what it says: an optional one left out is
        added, a choice the request belies replaced (_said_values);
      - a name or place that stands after none of its anchor words is the one name the request's capitals
        show after a preposition only that argument is introduced by (_anchored_names), a copied value
        inside a run of capitalised words is the whole run (_name_run, in _trimmed), and a required one
        copied as words that name nothing ("me") is the missing ask (_names_nothing).

    `no_tool=False`: every grammar requires a call (the server's tool_choice). `answers`: the first
    pass, already decoded under copy_grammars (the server decodes its whole batch first; only the rows
    decoded again go back to `generate`).

    Anchors come from the same bank compilation that made the data; an argument no template
    introduces with a word has none, and then nothing changes for it."""
    from toolrouter.core.schema import NO_TOOL
    from toolrouter.formats.parse import format_calls, format_no_tool, parse_tool_call

    def parse(answer):
        return fmt.parse(answer, catalogue) if fmt is not None else parse_tool_call(answer, catalogue)

    def write_no_tool(reason):
        return fmt.answer_text({"tool": NO_TOOL, "reason": reason}, catalogue) if fmt is not None else \
            format_no_tool(reason)

    def write(calls):
        target = calls[0] if len(calls) == 1 else calls
        return fmt.answer_text(target, catalogue) if fmt is not None else format_calls(calls, catalogue)

    if answers is None:
        answers = generate(conversations, copy_grammars(catalogue, conversations, tokenizer, vocab_size,
                                                        stop_token_ids, fmt, no_tool=no_tool))
    answers = list(answers)
    results = [parse(a) for a in answers]  # kept in step with `answers`: each changed answer parsed once
    bank = _bank_fields(catalogue)  # one lookup: each fingerprints the whole catalogue
    fields, said, where, clauses, names = bank.copied, bank.said, bank.anchors, bank.clauses, bank.names
    # first, a no_tool whose own reason the request belies: "missing hours for book_study_room" of "a study room
    # on January 14 from 9 for an hour", where the data's reader finds every argument it names; decoded again
    # as that tool, a call required (what a decoded call says is then checked as any other's)
    from toolrouter.data.bank import MISSING_REASON  # the reason the data writes for such asks

    belied = []
    said_words = None  # the catalogue's own words, looked up once a reason needs them
    forced: dict[int, str] = {}  # rows whose call a belied no_tool's one-tool grammar gave: decoded again the same way
    for i, result in enumerate(results):
        m = MISSING_REASON.fullmatch((result.reason or "").strip()) if result.kind == "no_tool" else None
        tool = m.group(2) if m and m.group(2) in catalogue.names else None
        if tool is None:
            continue
        readers = {**said.get(tool, {}), **bank.chosen.get(tool, {})}
        named = _missing_args(m)
        texts = request_texts(conversations[i])
        # a name is said where the request's casing shows as many names as the tool needs ("book the train Rome
        # to Naples ...": two, for from_city and to_city; "a train to Naples" shows one, and from_city is missing)
        # (not a first word the catalogue or a request's opening says: "Book a train to Naples" capitalises its
        # verb; "Montreal hotels, 1 night" starts with the city)
        unread = [a for a in named if a not in readers]
        if unread and said_words is None:
            from toolrouter.data.draft import _catalogue_words

            said_words = set(re.findall(r"[a-z']+", _catalogue_words(catalogue))) | _OPENERS
        shown = not unread or all((tool, a) in names for a in unread) and len(
            [at for t in texts for at in name_starts(t) if at > len(t) - len(t.lstrip())
             or _WORD.match(t, at).group().lower() not in said_words]) >= \
            len([a for a in catalogue[tool].required if (tool, a) in names])
        if named and shown and all(readers[a].spans(texts) for a in named if a in readers):
            belied.append((i, tool))
    # and a call whose tool's own words the request says far less than another tool's: decoded again as that one
    tool_words = _tool_words(catalogue)
    for i, result in enumerate(results):  # an "out of scope" for a request that names something a tool's words ask for
        if result.kind == "no_tool":
            tool = named_in_scope(catalogue, request_texts(conversations[i]), result.reason, tool_words)
            if tool is not None:
                belied.append((i, tool))
    for i, result in enumerate(results):
        if result.kind == "call" and len(result.calls) == 1:
            other = said_tool(catalogue, request_texts(conversations[i]), result.calls[0]["tool"], tool_words)
            if other is not None:
                belied.append((i, other))
    for i, tool in belied:
        (again,) = generate([conversations[i]], copy_grammars(catalogue.subset([tool]), [conversations[i]], tokenizer,
                                                              vocab_size, stop_token_ids, fmt, no_tool=False))
        result = parse(again)
        if result.kind == "call" and all(c["tool"] == tool for c in result.calls):
            answers[i], results[i] = again, result
            forced[i] = tool
    redo = []  # (row, tool, first argument, second argument, first value, second value)
    strays = []  # (row, tool, {(tool, argument): [values to keep it off]})
    for i, result in enumerate(results):
        if result.kind != "call":
            continue
        texts = request_texts(conversations[i])
        calls = [dict(c, arguments=dict(c["arguments"])) for c in result.calls]
        swapped = False
        for call in calls:
            kinds = {a: kind for a, kind in fields.get(call["tool"], {}).items()
                     if isinstance(call["arguments"].get(a), str)}
            # two copied arguments of one kind: two texts, or two codes ("20 AUD to NZD": from and to)
            pairs = [(a, b) for j, a in enumerate(kinds) for b in list(kinds)[j + 1:] if kinds[a] == kinds[b]]
            for a, b in pairs:
                va, vb = call["arguments"][a], call["arguments"][b]
                if _overlap(va, vb):
                    if len(calls) == 1:
                        redo.append((i, call["tool"], a, b, va, vb))
                    break
                tool_anchors = where.get(call["tool"], {})
                own = _anchor_score({a: va, b: vb}, texts, tool_anchors)
                other = _anchor_score({a: vb, b: va}, texts, tool_anchors)
                if own == 0 and other == 2:
                    call["arguments"][a], call["arguments"][b] = vb, va
                    swapped = True
                    break
            # two dates or two times of one call: the two the request says, each where its words put it
            placed = _two_said(call["arguments"], texts, said.get(call["tool"], {}), where.get(call["tool"], {}))
            if placed != call["arguments"]:
                call["arguments"], swapped = placed, True
        if swapped:
            answers[i] = write(calls)
            results[i] = parse(answers[i])
    if redo:
        convs = [conversations[r[0]] for r in redo]
        variants = []
        free = [k for k, r in enumerate(redo) if r[0] not in forced]
        one_tool = [k for k, r in enumerate(redo) if r[0] in forced]
        for keep_first in (True, False):
            apart = [{(tool, b): va} if keep_first else {(tool, a): vb} for _, tool, a, b, va, vb in redo]
            variant: list = [None] * len(redo)
            if free:
                batch = [convs[k] for k in free]
                for k, answer in zip(free, generate(batch, copy_grammars(catalogue, batch, tokenizer, vocab_size,
                                                                         stop_token_ids, fmt, no_tool=no_tool,
                                                                         apart=[apart[k] for k in free]))):
                    variant[k] = answer
            for k in one_tool:  # one tool, a call required, as before
                (variant[k],) = generate([convs[k]], copy_grammars(catalogue.subset([redo[k][1]]), [convs[k]], tokenizer,
                                                                   vocab_size, stop_token_ids, fmt, no_tool=False,
                                                                   apart=[apart[k]]))
            variants.append(variant)
        for k, (i, tool, a, b, va, vb) in enumerate(redo):
            texts, tool_anchors = request_texts(conversations[i]), where.get(tool, {})
            best, best_score = (answers[i], results[i]), -1
            for candidate in (variants[0][k], variants[1][k], answers[i]):
                result = parse(candidate)
                if result.kind != "call" or len(result.calls) != 1 or result.calls[0]["tool"] != tool:
                    continue
                score = _placement(result.calls[0]["arguments"], texts, tool_anchors)
                if score > best_score:
                    best, best_score = (candidate, result), score
            answers[i], results[i] = best
    # then, after the collisions are settled, values astray: after none of their words, or into the next one's
    for i, result in enumerate(results):
        if result.kind == "call" and len(result.calls) == 1:
            stray = _strays(result.calls[0], request_texts(conversations[i]), fields, where)
            if stray:
                strays.append((i, result.calls[0]["tool"], stray))
    for _ in range(STRAY_TRIES):
        if not strays:
            break
        convs = [conversations[i] for i, _, _ in strays]
        again = generate(convs, copy_grammars(catalogue, convs, tokenizer, vocab_size, stop_token_ids, fmt,
                                              no_tool=no_tool, apart=[stray for _, _, stray in strays]))
        left = []
        for (i, tool, stray), candidate in zip(strays, again):
            texts, tool_anchors, before = request_texts(conversations[i]), where.get(tool, {}), results[i]
            result = parse(candidate)
            if result.kind != "call" or len(result.calls) != 1 or result.calls[0]["tool"] != tool:
                continue
            args = result.calls[0]["arguments"]
            # a value another argument of the call already says ("at 19:30" is the time) is no better place
            taken = [str(v) for a, v in args.items() if (tool, a) not in stray and not isinstance(v, (dict, list))]
            clash = any(_overlap(str(args.get(key[1], "")), t) for key in stray for t in taken)
            if not clash and _placement(args, texts, tool_anchors) > \
                    _placement(before.calls[0]["arguments"], texts, tool_anchors):
                answers[i], results[i] = candidate, result
                continue
            more = {key: [*values, args[key[1]]] for key, values in stray.items()
                    if isinstance(args.get(key[1]), str) and args[key[1]] not in values}
            if more:
                left.append((i, tool, more))
        strays = left
    # last, values that stop inside a name or phrase, or still run into the next argument's word
    own: dict[str, set] = {}  # each tool's own words, once
    near = _near_miss_verbs(catalogue) if no_tool else set()
    for i, result in enumerate(results):
        if result.kind != "call":
            continue
        texts, changed = request_texts(conversations[i]), False
        calls = [dict(c, arguments=dict(c["arguments"])) for c in result.calls]
        asked = next((m.get("content") for m in reversed(conversations[i]) if m.get("role") == "user"), None)
        verb = near_miss_verb(catalogue, asked, near) if no_tool and isinstance(asked, str) else None
        if verb:  # "cancel my hold on Dune": an action no tool does, whatever the call copied
            words = _norm(asked)
            rest = [w for w in words[words.index(verb) + 1:] if w not in _OPEN_ENDS]
            answers[i] = write_no_tool(f"not supported: {verb}{' ' + rest[0] if rest else ''}")
            continue
        if len(calls) == 1:  # the request's readings of the call's tool, shared by the next two checks
            readers = {**said.get(calls[0]["tool"], {}), **bank.chosen.get(calls[0]["tool"], {})}
            readings = said_readings(readers, texts)
        if no_tool and len(calls) == 1:  # a required time or date the request never says: the data's missing ask
            tool = calls[0]["tool"]
            unsaid = _unsaid(readings, readers, catalogue[tool].required)
            if unsaid:
                answers[i] = write_no_tool(f"missing {' and '.join(unsaid)} for {tool}")
                continue
        for call in calls:
            if call["tool"] not in own:
                own[call["tool"]] = _own_words(catalogue, call["tool"])
            for a, v in call["arguments"].items():  # "what's Kenji Watanabe's extension?": the name, not its 's
                if (call["tool"], a) in names and isinstance(v, str) and re.search(r"\w['’]s$", v):
                    call["arguments"][a], changed = v[:-2], True
            if len(calls) == 1:  # arguments the request says: left out, or said otherwise
                spec = catalogue[call["tool"]]
                full = _said_values(call["arguments"], texts, readers, spec.required, list(spec.properties), readings)
                if full != call["arguments"]:
                    call["arguments"], changed = full, True
            clause_args = {a for t, a in clauses if t == call["tool"]}
            if len(calls) == 1:  # a name astray, where the request shows the one its words introduce
                placed = _anchored_names(call["arguments"], texts, where.get(call["tool"], {}),
                                         fields.get(call["tool"], {}), clause_args)
                if placed != call["arguments"]:
                    call["arguments"], changed = placed, True
            trimmed = _trimmed(call["arguments"], texts, where.get(call["tool"], {}), fields.get(call["tool"], {}),
                               clause_args, own[call["tool"]],
                               {a for (t, a), k in clauses.items() if t == call["tool"] and k in ("message", "task")})
            if trimmed != call["arguments"]:
                call["arguments"], changed = trimmed, True
            for a, v in call["arguments"].items():  # "Subaru Outback" of "a 2016 Subaru Outback": the year too
                led = _number_led(v, texts) if (call["tool"], a) in bank.led else v
                if led != v:
                    call["arguments"][a], changed = led, True
            if len(calls) == 1:  # an optional name or place copied as a word that names none ("bring", "Dec 10")
                optional = {a for t, a in bank.phrases if t == call["tool"]} - set(catalogue[call["tool"]].required)
                kept = _names_no_place(call["arguments"], texts, optional, readings)
                if kept != call["arguments"]:
                    call["arguments"], changed = kept, True
        if no_tool and len(calls) == 1 and i not in forced:  # a required name that names nothing: the missing ask
            tool = calls[0]["tool"]  # (not where a belied no_tool's one-tool grammar required the call)
            # (free text is scored by overlap, and any words of the request may be its reason: "refund it")
            unnamed = [a for a in catalogue[tool].required if fields.get(tool, {}).get(a) == "text"
                       and (tool, a) not in clauses and not catalogue[tool].properties[a].get(FREE_TEXT_KEY)
                       and _names_nothing(calls[0]["arguments"].get(a), texts)]
            if unnamed:
                answers[i] = write_no_tool(f"missing {' and '.join(unnamed)} for {calls[0]['tool']}")
                continue
        if changed:
            answers[i] = write(calls)
    # last, a reason the data never writes is said by its kind: the reason is free under the grammar, and a scratch
    # router wanders off in it ("out of scope:30505050505no_tool" -> "out of scope"); what decided the answer is not
    # changed, only what a user reads
    for i, answer in enumerate(answers):
        result = parse(answer)
        if result.kind == "no_tool":
            reason = _reason_kind(result.reason or "", bank.reasons, catalogue)
            if reason != (result.reason or ""):
                answers[i] = write_no_tool(reason)
    return answers


def _reason_kind(reason: str, known: frozenset, catalogue: Catalogue) -> str:
    """`reason` where the data writes it (a reason of its negatives, "missing <arguments> for <tool>" of the tool's own
    arguments, or a near miss's "not supported: <words>"); else the kind of the known reason it starts most like
    ("out of scope", "question no tool answers", "missing an argument"), or "no tool fits"."""
    from toolrouter.data.bank import MISSING_REASON

    text = reason.strip()
    m = MISSING_REASON.fullmatch(text)
    if text in known or re.fullmatch(r"not supported: [\w' -]+", text) or m and m.group(2) in catalogue.names and all(
            a in catalogue[m.group(2)].properties for a in _missing_args(m)):
        return reason
    if text.lower().startswith("missing"):
        return "missing an argument"
    best, common = None, 0
    for k in sorted(known):
        n = len(os.path.commonprefix([k.lower(), text.lower()]))
        if n > common:
            best, common = k, n
    if best is None or common < 4:
        return "no tool fits"
    if best.startswith("missing"):
        return "missing an argument"
    return best if common == len(best) or ":" not in best else best.split(":")[0].strip()


def _missing_args(match: re.Match) -> list[str]:
    """The arguments a MISSING_REASON match names: "date and start_time" -> ["date", "start_time"]."""
    return [a.strip() for a in re.split(r",| and ", match.group(1)) if a.strip()]
