"""Catalogue -> one xgrammar grammar of every answer `parse_tool_call` accepts, in canonical form.

    compiled = compile_grammar(catalogue, tokenizer)         # cached per (tokenizer, catalogue fingerprint)
    model.generate(..., max_new_tokens=96, logits_processor=[logits_processor(compiled, 96)])  # fresh per call

The grammar is the union of each tool's call object (`catalogue.answer_schema()`), the no_tool object,
and a list of 2..MAX_CALLS calls, written exactly as `format_calls`/`format_no_tool` write training
targets: keys in schema order, optional arguments omitted or present in that order, no extra keys,
compact separators, no whitespace; no_tool only alone.

xgrammar's JSON-schema converter does the objects, key order and numeric ranges. Four things it does
not do the way the parser needs, so those leaves are swapped for rules of our own:
  - strings: only json.dumps(ensure_ascii=False) escapes (no `\\/`, no `\\u0041`, no lone surrogates);
  - enums/consts: the canonical JSON text of each value;
  - order-free sets (`uniqueItems`) of choices: never the same choice twice (the parser rejects repeats);
  - patterns: unbounded `+`/`*` are bounded (ORD-\\d+ -> ORD-\\d{1,64}).
Swapping works by placeholders: each such leaf becomes {"const": "@tr_N@"} before conversion, and the
converter's literal for it is then replaced by our rule `tr_N`. Numbers without bounds get some
(+-1e15 integers, +-1e9 floats), which makes the converter write a bounded number of digits. Numbers
are the one place the grammar allows non-canonical text: "1.50" for 1.5 (same value once parsed).

So that any model's answer finishes, every part of it is bounded, strings included: the logits
processor closes a string once it reaches MAX_STRING characters, and closes the whole answer as fast
as the grammar allows in the last CLOSING_RESERVE tokens of the budget (see GrammarLogitsProcessor).
The string bound lives there and not in the grammar because xgrammar's bounded repetition
(`char{0,200}`) costs milliseconds per token and a chain of 200 rules costs seconds to compile on a
32k vocabulary; an open string (`char*`) costs ~1 us. Lists have at most MAX_ITEMS items unless the
schema says otherwise.

Known gap: a set of free values (e.g. set[str]) and a free-form object's keys can still repeat; no
grammar of sane size forbids that.
"""
from __future__ import annotations

import json
import re
import time
import weakref
from typing import Optional

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import NO_TOOL, ToolrouterError
from toolrouter.formats.parse import MAX_CALLS

MAX_STRING = 200  # characters after which the processor closes a string: routing arguments are a few words
MAX_ITEMS = 16  # items in a list with no maxItems
MAX_REPEAT = 64  # what `+`/`*` in a pattern become
# |value| bounds of numbers with no bound of their own. xgrammar writes at most 6 decimals, so a
# float has at most 9 + 6 = 15 significant digits and reads back exactly as written.
INTEGER_LIMIT = 10 ** 15
FLOAT_LIMIT = 10 ** 9
MAX_SET_ANY_ORDER = 6  # choices up to which a set may list them in any order (2^6 = 64 rules)
CLOSING_RESERVE = 24  # last tokens of the budget in which an answer is closed as fast as possible
# A list of calls needs at least two calls' worth of tokens: with a smaller budget the processor does
# not let an answer open one (a list begun in 64 tokens was cut off in its second call).
MIN_LIST_BUDGET = 128

# json.dumps(ensure_ascii=False) escapes only these: `"`, `\`, \b \f \n \r \t, and the other control
# characters as \u00XX (lowercase hex). Anything else is written raw.
STRING_CHAR = r'[^"\\\0-\x1f] | "\\" ["\\bfnrt] | "\\u000" [0-7bef] | "\\u001" [0-9a-f]'


def _lit(text: str) -> str:
    """An EBNF string literal."""
    return json.dumps(text, ensure_ascii=False)


class _Builder:
    """Walks a JSON schema, replacing the leaves we write ourselves by placeholders."""

    def __init__(self, separators: tuple[str, str] = (",", ":")):
        # (item, key) separators of every container: compact for the JSON envelope, (", ", ": ") for chat
        # templates that write tool-call arguments with `tojson` (see toolrouter.formats.native).
        self.item_sep, self.key_sep = separators
        self.rules: dict[str, str] = {}
        self.char: Optional[str] = None  # the one rule of a canonical string character
        self.sets: dict[str, str] = {}  # one rule set per distinct set type (car_control's `area` x4)

    def _name(self) -> str:
        return f"tr_{len(self.rules)}"

    def _rule(self, body: str) -> dict:
        name = self._name()
        self.rules[name] = body
        return {"const": f"@{name}@"}

    def _json(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(self.item_sep, self.key_sep))

    def _literals(self, values: list) -> str:
        return " | ".join(_lit(self._json(v)) for v in values)

    def walk(self, schema: dict) -> dict:
        if "const" in schema:
            return self._rule(self._literals([schema["const"]]))
        if "enum" in schema:
            return self._rule(self._literals(schema["enum"]))
        if "anyOf" in schema:
            return {"anyOf": [self.walk(s) for s in schema["anyOf"]]}
        kind = schema.get("type")
        if kind == "object" and "properties" not in schema:  # BFCL's free-form dicts; {} params have properties: {}
            return {"const": f"@{self._free_object()}@"}
        if kind == "object":
            props = {k: self.walk(v) for k, v in schema.get("properties", {}).items()}
            return {"type": "object", "properties": props, "required": list(schema.get("required", [])),
                    "additionalProperties": False}
        if kind == "string" and "x-copy-spans" in schema:  # a span of the request (toolrouter.formats.copy)
            from toolrouter.formats.copy import span_rule

            return {"const": f"@{span_rule(self, schema['x-copy-spans'], schema.get('x-copy-head', False), schema.get('x-copy-phrase', False))}@"}
        if kind == "string":
            return self._rule(self._string(schema))
        if kind == "array" and "items" not in schema:
            schema = {**schema, "items": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}}
        if kind == "array":
            return self._array(schema)
        if kind in ("integer", "number"):
            out = {k: v for k, v in schema.items() if k in (
                "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")}
            limit = INTEGER_LIMIT if kind == "integer" else FLOAT_LIMIT
            if "minimum" not in out and "exclusiveMinimum" not in out:
                out["minimum"] = -limit
            if "maximum" not in out and "exclusiveMaximum" not in out:
                out["maximum"] = limit
            return out
        if kind == "boolean":
            return {"type": "boolean"}
        raise ToolrouterError(f"cannot build a grammar for schema {json.dumps(schema)[:120]}")

    def _string(self, schema: dict) -> str:
        if "pattern" in schema:
            pattern = bound_pattern(schema["pattern"])
            return f'"\\"" Regex({_lit(pattern)}, json_string=true) "\\""'
        if "minLength" not in schema and "maxLength" not in schema:
            return f'"\\"" {self._char()}* "\\""'
        # Declared bounds are kept exactly, at xgrammar's (slow) bounded-repetition price.
        lo = int(schema.get("minLength", 0))
        hi = str(max(lo, int(schema["maxLength"]))) if "maxLength" in schema else ""
        return f'"\\"" {self._char()}{{{lo},{hi}}} "\\""'

    def _char(self) -> str:
        if self.char is None:
            self.char = self._name()
            self.rules[self.char] = STRING_CHAR
        return self.char

    def _free_object(self) -> str:
        """A free-form object (BFCL's dicts without properties): up to MAX_ITEMS string keys, each to a
        string, number, boolean or list of those. Never null: the parser refuses null values."""
        if "free" not in self.sets:
            string = f'"\\"" {self._char()}* "\\""'
            name = self.sets["free"] = self._name()
            number = '"-"? ("0" | [1-9] [0-9]{0,8}) ("." [0-9]{1,6})?'
            more = f"{{0,{MAX_ITEMS - 1}}}"
            item, key = _lit(self.item_sep), _lit(self.key_sep)
            self.rules[name] = f'"{{}}" | "{{" {name}_kv ({item} {name}_kv){more} "}}"'
            self.rules[f"{name}_kv"] = f'{string} {key} {name}_value'
            self.rules[f"{name}_scalar"] = f'{string} | {number} | "true" | "false"'
            self.rules[f"{name}_value"] = f'{name}_scalar | "[]" | "[" {name}_scalar ({item} {name}_scalar){more} "]"'
        return self.sets["free"]

    def _array(self, schema: dict) -> dict:
        items = schema.get("items", {})
        lo = int(schema.get("minItems", 0))
        hi = max(lo, int(schema.get("maxItems", MAX_ITEMS)))
        choices = items.get("enum") or ([True, False] if items.get("type") == "boolean" else None)
        if schema.get("uniqueItems") and choices:
            key = json.dumps([choices, lo, min(hi, len(choices))])
            if key not in self.sets:
                self.sets[key] = self._set(choices, lo, min(hi, len(choices)))
            return {"const": f"@{self.sets[key]}@"}
        return {"type": "array", "items": self.walk(items), "minItems": lo, "maxItems": hi}

    def _set(self, choices: list, lo: int, hi: int) -> str:
        """The name of a rule for a list of lo..hi distinct choices. Up to MAX_SET_ANY_ORDER choices, any
        order (one rule per subset already written); beyond, the choices' declared order (one rule per
        last choice written and count), which still allows every set, each in one order."""
        lits = [_lit(self._json(v)) for v in choices]
        any_order = len(choices) <= MAX_SET_ANY_ORDER
        base = self._name()
        self.rules[base] = ""  # reserve the name before the state rules take theirs
        names: dict[tuple, str] = {}
        pending = []

        def state(used: tuple) -> str:  # used: indices written so far (in order)
            key = tuple(sorted(used)) if any_order else (used[-1] if used else -1, len(used))
            if key not in names:
                names[key] = f"{base}_{len(names)}"
                pending.append((names[key], used))
            return names[key]

        alternatives = []
        if lo == 0:
            alternatives.append('"[]"')
        if hi > 0:
            first = " | ".join(f"{lits[j]} {state((j,))}" for j in range(len(lits)))
            alternatives.append(f'"[" ({first})')
        self.rules[base] = " | ".join(alternatives)
        while pending:  # each state: close the list, or add a choice not written yet
            name, used = pending.pop()
            options = []
            if len(used) >= lo:
                options.append('"]"')
            if len(used) < hi:
                nxt = [j for j in range(len(lits)) if j not in used and (any_order or j > used[-1])]
                options += [f'{_lit(self.item_sep)} {lits[j]} {state(used + (j,))}' for j in nxt]
            self.rules[name] = " | ".join(options)
        return base


def bound_pattern(pattern: str, limit: int = MAX_REPEAT) -> str:
    """`pattern` with every unbounded repetition bounded: `+` -> {1,limit}, `*` -> {0,limit},
    `{m,}` -> {m,m+limit}. Escapes and character classes are left alone."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            # `[]...]` and `[^]...]`: a `]` right after the opening is a literal
            j = i + 1 + (pattern[i + 1:i + 2] == "^")
            if pattern[j:j + 1] == "]":
                out.append(pattern[i + 1:j + 1])
                i = j
        elif c in "*+":
            out.append(f"{{{'1' if c == '+' else '0'},{limit}}}")
        elif c == "{" and (m := re.match(r"\{(\d+),\}", pattern[i:])):
            out.append(f"{{{m.group(1)},{int(m.group(1)) + limit}}}")
            i += len(m.group(0))
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def answer_ebnf(catalogue: Catalogue, schema: Optional[dict] = None,
                separators: tuple[str, str] = (",", ":"), no_tool: bool = True, max_calls: int = MAX_CALLS) -> str:
    """The grammar of one canonical answer for `catalogue`, as xgrammar EBNF text (root rule `root`).
    `schema` (default: the JSON envelope, `catalogue.answer_schema()`) and `separators` let an answer
    format (toolrouter.formats) describe its own JSON body in the same canonical way. `no_tool=False`
    leaves the no_tool answer out of the default schema (a call is required: OpenAI's tool_choice
    "required" or a forced tool); a catalogue with no tools then has no answer at all, an error.

    The JSON envelope's answer is one call, a no_tool, or a list of 2..`max_calls` calls
    (`[call,call]`, no_tool never inside it; max_calls=1: one call only). With a `schema` of its own,
    the grammar is one value of that schema (a format wraps it; the native format repeats its call)."""
    import xgrammar as xgr

    envelope = schema is None
    if envelope:
        options = catalogue.answer_schema()["anyOf"]
        calls, none = options[:-1], options[-1]  # answer_schema() puts no_tool last
        if not calls and not no_tool:
            raise ToolrouterError(f"grammar for catalogue {catalogue.name}: no tools and no_tool excluded: "
                                  "no answer is possible")
        # The calls alone are converted (root renamed tr_call below); no_tool and the list are ours.
        schema = {"anyOf": calls or [none]}
    builder = _Builder(separators)
    schema = builder.walk(schema)
    text = str(xgr.Grammar.from_json_schema(json.dumps(schema), any_whitespace=False,
                                            separators=separators, strict_mode=True))
    for name in builder.rules:
        text = text.replace(_lit(json.dumps(f"@{name}@")), name)
    if "@tr_" in text:  # the converter wrote a placeholder some other way: fail loudly, not loosely
        raise ToolrouterError(f"grammar for catalogue {catalogue.name}: a placeholder was left unreplaced")
    rules = builder.rules
    if envelope:
        text, renamed = re.subn(r"(?m)^root ::= ", "tr_call ::= ", text, count=1)
        if not renamed:
            raise ToolrouterError(f"grammar for catalogue {catalogue.name}: the JSON-schema converter wrote no root rule")
        envelope_rules = _envelope_rules(builder, bool(calls), no_tool, max_calls)  # may add the string rule
        rules = {**builder.rules, **envelope_rules}
    return text + "\n" + "\n".join(f"{name} ::= {body}" for name, body in rules.items()) + "\n"


def _envelope_rules(builder: _Builder, calls: bool, no_tool: bool, max_calls: int) -> dict[str, str]:
    """root, no_tool and the list of calls of the JSON envelope, written out: `tr_call` is the converted
    call (any tool); the list is unrolled (`tr_more_k`: close after k calls, or add one) rather than a
    bounded repetition, which xgrammar compiles and matches slowly."""
    sep, colon = builder.item_sep, builder.key_sep
    out, alternatives = {}, []
    if calls:
        alternatives.append("tr_call")
    if no_tool:
        none = "{" + _lit("tool") + colon + _lit(NO_TOOL) + sep + _lit("reason") + colon
        out["tr_no_tool"] = f'{_lit(none)} "\\"" {builder._char()}* "\\"" "}}"'
        alternatives.append("tr_no_tool")
    if calls and max_calls >= 2:
        alternatives.append(f'"[" tr_call {_lit(sep)} tr_call tr_more_2')
        for k in range(2, max_calls + 1):
            out[f"tr_more_{k}"] = '"]"' + (f' | {_lit(sep)} tr_call tr_more_{k + 1}' if k < max_calls else "")
    out["root"] = " | ".join(alternatives)
    return out


# ---------------------------------------------------------------------------------------------
# compiling (cached) and matching

# tokenizer -> {(vocab_size, stop ids): _Compiler}. Weak keys: a tokenizer that goes away takes its
# compiled grammars with it.
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
TIMINGS: dict[str, float] = {}  # seconds of the last tokenizer-info build / grammar compile (benchmarks)


class _Compiler:
    """One tokenizer's xgrammar compiler, its compiled grammars by catalogue fingerprint, and the
    token tables the logits processor needs (built once per tokenizer, shared by its grammars)."""

    def __init__(self, tokenizer, vocab_size: Optional[int], stop_token_ids: Optional[list[int]]):
        import xgrammar as xgr

        start = time.perf_counter()
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size,
                                                  stop_token_ids=list(stop_token_ids) if stop_token_ids else None)
        self.compiler = xgr.GrammarCompiler(info, cache_enabled=False)
        self.grammars: dict = {}
        self.vocab = _Vocab(info)
        TIMINGS["tokenizer_info_s"] = time.perf_counter() - start


def compile_grammar(catalogue: Catalogue, tokenizer, vocab_size: Optional[int] = None,
                    stop_token_ids: Optional[list[int]] = None, ebnf: Optional[str] = None,
                    no_tool: bool = True, cache: bool = True):
    """The xgrammar CompiledGrammar of `answer_ebnf(catalogue, no_tool=no_tool)` (or of `ebnf`, an answer
    format's own grammar) for `tokenizer`, cached per catalogue fingerprint and grammar. `vocab_size` is
    the model's logits width when it exceeds the tokenizer's (padded embeddings); `stop_token_ids` are
    the tokens that may end the answer (default: the tokenizer's EOS). `cache=False` compiles `ebnf`
    without keeping it (a grammar made for one request: toolrouter.formats.copy)."""
    per_tokenizer = _CACHE.setdefault(tokenizer, {})
    key = (vocab_size, tuple(stop_token_ids) if stop_token_ids else None)
    if key not in per_tokenizer:
        per_tokenizer[key] = _Compiler(tokenizer, vocab_size, stop_token_ids)
    entry = per_tokenizer[key]
    if not cache:
        compiled = entry.compiler.compile_grammar(answer_ebnf(catalogue, no_tool=no_tool) if ebnf is None else ebnf)
        compiled._toolrouter_vocab = entry.vocab
        return compiled
    fingerprint = (catalogue.fingerprint() if ebnf is None and no_tool
                   else (catalogue.fingerprint(), ebnf, no_tool))
    if fingerprint not in entry.grammars:
        start = time.perf_counter()
        compiled = entry.compiler.compile_grammar(answer_ebnf(catalogue, no_tool=no_tool) if ebnf is None else ebnf)
        TIMINGS["compile_s"] = time.perf_counter() - start
        compiled._toolrouter_vocab = entry.vocab  # CompiledGrammar is not hashable: keep it on the object
        entry.grammars[fingerprint] = compiled
    return entry.grammars[fingerprint]


class _Vocab:
    """A tokenizer's token bytes, the bitmasks of tokens that close an answer fastest (see
    GrammarLogitsProcessor), and what each token does to the 'inside a JSON string' state."""

    def __init__(self, info):
        import torch

        self.size = info.vocab_size
        # ~0.25 s for a 150k vocabulary (xgrammar converts it on each access): once per tokenizer.
        self.token_bytes: list[bytes] = list(info.decoded_vocab)
        self.token_bytes += [b""] * (self.size - len(self.token_bytes))
        # First two bytes of every token (-1 where it is shorter), to pick tokens by how they start.
        first = torch.tensor([b[0] if b else -1 for b in self.token_bytes])
        second = torch.tensor([b[1] if len(b) > 1 else -1 for b in self.token_bytes])
        # Tokens made only of `}`/`]` (after a leading `"` for quote_close): `}},` or `"},` would close
        # one object and open more (a next argument, a list's next call), so they do not count as closing.
        close = torch.tensor([bool(b) and not b.strip(b"}]") for b in self.token_bytes])
        # `"}`, `"]}`: end a string and more
        quote_close = torch.tensor([len(b) > 1 and b[0] == 0x22 and not b[1:].strip(b"}]") for b in self.token_bytes])
        quote = first == ord('"')
        quote_only = quote & (second == -1)
        comma = first == ord(",")
        # Preference lists, stacked (K, words): the first one the grammar allows wins. `","` ends a
        # string but opens another, so a bare `"` comes before it.
        self.in_string = self._pack(torch.stack([quote_close, quote_only, quote]))
        self.end_string = self._pack(quote[None])  # a long string: just end it, the answer goes on normally
        self.outside = self._pack(torch.stack([close, quote_only, quote, comma]))
        self.no_list = self._pack((first != ord("["))[None])  # any first token but one opening a list
        self._moves: dict[int, tuple] = {}
        self._depths: dict[int, tuple] = {}

    def _pack(self, allowed):
        """(K, vocab) bools -> (K, words) int32 bitmasks in xgrammar's layout: bit j of word w is
        token 32*w + j."""
        import torch

        bits = torch.zeros(allowed.shape[0], -(-self.size // 32) * 32, dtype=torch.int64)
        bits[:, :self.size] = allowed.long()
        words = (bits.view(allowed.shape[0], -1, 32) << torch.arange(32)).sum(-1)
        return torch.where(words >= 2 ** 31, words - 2 ** 32, words).to(torch.int32)

    def depth(self, token: int, inside: bool, escape: bool) -> tuple[int, int]:
        """(change, lowest change on the way) of the bracket depth ({[ minus }]) outside strings over
        `token`, from string state (inside, escape). Memoized like move."""
        key = token << 2 | inside << 1 | escape
        if key not in self._depths:
            delta = low = 0
            for b in self.token_bytes[token]:
                if inside:
                    if escape:
                        escape = False
                    elif b == 0x5C:
                        escape = True
                    elif b == 0x22:
                        inside = False
                elif b == 0x22:
                    inside = True
                elif b in (0x7B, 0x5B):
                    delta += 1
                elif b in (0x7D, 0x5D):
                    delta -= 1
                    low = min(low, delta)
            self._depths[key] = (delta, low)
        return self._depths[key]

    def move(self, token: int, inside: bool, escape: bool) -> tuple[bool, bool, bool, int]:
        """(inside, escape, restarted, chars) after `token`, from state (inside, escape): whether a
        string is open after it, an escape is pending, a new string began in it, and the characters
        it adds to the current string (to a new one if restarted; escapes count as one character,
        UTF-8 continuation bytes as none). Memoized: a few hundred distinct tokens per run."""
        key = token << 2 | inside << 1 | escape
        if key not in self._moves:
            restarted, chars = False, 0
            for b in self.token_bytes[token]:
                if not inside:
                    if b == 0x22:  # "
                        inside, restarted, chars = True, True, 0
                elif escape:
                    escape = False
                elif b == 0x22:
                    inside = False
                else:
                    escape = b == 0x5C  # backslash
                    chars += (b & 0xC0) != 0x80
            self._moves[key] = (inside, escape, restarted, chars)
        return self._moves[key]


class GrammarLogitsProcessor:
    """A transformers logits processor that masks every token the grammar forbids, one matcher per
    batch row, so that every answer is a valid one, and sees that every answer also *finishes*:

      - a string that reaches `max_string` characters is closed (only tokens starting with `"` stay
        allowed), so no string runs on forever;
      - in the last `reserve` of `max_new_tokens` steps a row closes its answer as fast as the grammar
        allows: in a string, tokens that end it and close more (`"}`), then `"`; outside strings,
        `}`/`]`, then `"`, then `,` (required arguments still get written). Without this a model looping
        in a string (digits, say) hits the token limit and its answer is cut off: invalid. A normal
        routing answer (20-60 tokens) never gets near the end of its budget, so this only ever changes
        the tail of an answer that was about to be cut off.

    Like xgrammar's `contrib.hf.LogitsProcessor`, but it fills the whole batch's masks in one call
    (BatchGrammarMatcher) instead of a Python loop per row. Spent after one generate() call: make a
    fresh one for each. `compiled` is one grammar for every row, or a list of one per row (grammars
    compiled for the same tokenizer: the server restricts each request to its own tools)."""

    def __init__(self, compiled, max_new_tokens: Optional[int] = None, max_string: int = MAX_STRING,
                 reserve: Optional[int] = None):
        self.per_row = list(compiled) if isinstance(compiled, (list, tuple)) else None
        compiled = self.per_row[0] if self.per_row else compiled
        if getattr(compiled, "_toolrouter_vocab", None) is None:  # compiled elsewhere than compile_grammar
            compiled._toolrouter_vocab = _Vocab(compiled.tokenizer_info)
        self.compiled, self.vocab, self.max_string = compiled, compiled._toolrouter_vocab, max_string
        reserve = CLOSING_RESERVE if reserve is None else reserve
        self.closing_from = None if max_new_tokens is None else max(0, max_new_tokens - reserve)
        self.budget, self.reserve = max_new_tokens, reserve
        self.first_end: list = []  # per row: the step at which the answer could first end (a stop allowed)
        self.depth: list = []  # per row: bracket depth outside strings
        self.in_list: list = []  # per row: the answer opened a list of calls
        self.first_call: list = []  # per row: the step at which the list's first call closed
        self._stops_packed = None
        self.step = 0  # tokens generated so far
        self.matchers: list = []
        self.live: list[int] = []  # rows that have not accepted a stop token
        self.stops: set[int] = set()
        self.bitmask = self.batch = None
        # Per row: inside a JSON string, an escape pending, characters in the current string.
        self.inside: list[bool] = []
        self.escape: list[bool] = []
        self.length: list[int] = []

    def __call__(self, input_ids, scores):
        import xgrammar as xgr

        if not self.matchers:  # first call: the prompt only, nothing generated yet
            n = input_ids.shape[0]
            if self.per_row is not None and len(self.per_row) != n:
                raise ValueError(f"{len(self.per_row)} grammars for a batch of {n} rows")
            self.matchers = [xgr.GrammarMatcher(g) for g in (self.per_row or [self.compiled] * n)]
            self.live = list(range(n))
            self.inside, self.escape, self.length = [False] * n, [False] * n, [0] * n
            self.first_end = [None] * n
            self.depth, self.in_list, self.first_call = [0] * n, [False] * n, [None] * n
            self.stops = set(self.compiled.tokenizer_info.stop_token_ids)
            self.bitmask = xgr.allocate_token_bitmask(n, self.vocab.size)
            self.batch = xgr.BatchGrammarMatcher()
        else:
            self.step += 1
            # One accept_token per row: measured faster than batch_accept_token, whose result list
            # is converted element by element.
            last = input_ids[:, -1].tolist()
            for i in self.live:
                token = last[i]
                if not self.matchers[i].accept_token(token):  # only if something bypassed the mask
                    raise RuntimeError(f"row {i}: generated token {token} is not allowed by the grammar")
                delta, low = self.vocab.depth(token, self.inside[i], self.escape[i])
                if self.step == 1:  # the first token: an answer that opens a list of calls
                    self.in_list[i] = self.vocab.token_bytes[token][:1] == b"["
                elif self.in_list[i] and self.first_call[i] is None and self.depth[i] >= 2 and self.depth[i] + low <= 1:
                    self.first_call[i] = self.step  # the list's first call closed: its length in tokens
                self.depth[i] += delta
                self.inside[i], self.escape[i], restarted, chars = self.vocab.move(token, self.inside[i],
                                                                                   self.escape[i])
                self.length[i] = chars if restarted else self.length[i] + chars
            # Rows that ended keep their last mask (stop tokens only); generate() pads them anyway.
            self.live = [i for i in self.live if last[i] not in self.stops]
        if self.live:
            self.batch.batch_fill_next_token_bitmask([self.matchers[i] for i in self.live], self.bitmask,
                                                     indices=self.live)
        closing_all = self.closing_from is not None and self.step >= self.closing_from
        groups: dict[str, list[int]] = {"in_string": [], "end_string": [], "outside": [], "end": []}
        can_end = self._can_end() if self.budget is not None else None
        for i in self.live:
            if can_end is not None and can_end[i]:
                # An answer that can end here but could go on (another <tool_call> block) ends when the
                # tokens left would not fit one more call as long as the first (plus the closing steps):
                # a call begun now would be cut off.
                if self.first_end[i] is None:
                    self.first_end[i] = self.step
                if self.budget - self.step < self.reserve + self.first_end[i]:
                    groups["end"].append(i)
                    continue
            # A list of calls starts closing early: once the tokens left would not fit one more call as
            # long as its first (plus the closing steps), the call in progress is closed and then the list.
            closing = closing_all or (self.budget is not None and self.first_call[i] is not None
                                      and self.budget - self.step < self.reserve + self.first_call[i])
            if self.inside[i] and closing:
                groups["in_string"].append(i)
            elif self.inside[i] and self.length[i] >= self.max_string:
                groups["end_string"].append(i)
            elif closing:
                groups["outside"].append(i)
        if self.step == 0 and self.budget is not None and self.budget < MIN_LIST_BUDGET and self.live:
            self._narrow(list(self.live), self.vocab.no_list)
        for name, rows in groups.items():
            if rows:
                self._narrow(rows, self._stop_mask() if name == "end" else getattr(self.vocab, name))
        if scores.device.type == "cuda":
            xgr.apply_token_bitmask_inplace(scores, self.bitmask.to(scores.device, non_blocking=True))
            return scores
        return self._mask_cpu(scores)

    def _mask_cpu(self, scores):
        # Unpack the bits with torch: measured 2-3x faster than xgrammar's CPU kernel when few tokens
        # are allowed (most steps of a JSON answer), e.g. 23 vs 56 us at 32 x 512.
        import torch

        bits = (self.bitmask[:, :, None] >> torch.arange(32, dtype=torch.int32)) & 1
        allowed = bits.view(len(self.matchers), -1)[:, :scores.shape[-1]]
        return scores.masked_fill_(allowed.to(scores.device) == 0, float("-inf"))

    def _stop_mask(self):
        """The stop tokens as a (1, words) bitmask: the one preference of a row that should end now."""
        if self._stops_packed is None:
            import torch

            allowed = torch.zeros(1, self.vocab.size, dtype=torch.bool)
            allowed[0, [t for t in self.stops if t < self.vocab.size]] = True
            self._stops_packed = self.vocab._pack(allowed)
        return self._stops_packed

    def _can_end(self) -> list[bool]:
        """Per row: whether its grammar allows a stop token now (the answer is complete). One tensor op."""
        import torch

        stops = [t for t in self.stops if t < self.vocab.size]
        if not stops:
            return [False] * len(self.matchers)
        ids = torch.tensor(stops)
        return ((self.bitmask[:, ids >> 5] >> (ids & 31)) & 1).any(-1).tolist()

    def _narrow(self, rows: list[int], preferences) -> None:
        """For each row, keep only the tokens of its first preference the grammar allows now (none
        allowed: leave the row as it is). One batch of tensor ops for all rows, not a loop."""
        import torch

        index = torch.tensor(rows)
        current = self.bitmask[index]  # (rows, words)
        narrowed = current[:, None, :] & preferences[None]  # (rows, K, words)
        allowed = (narrowed != 0).any(-1)  # (rows, K)
        first = allowed.int().argmax(-1)  # the first K with any token (0 if none)
        chosen = narrowed[torch.arange(len(rows)), first]
        self.bitmask[index] = torch.where(allowed.any(-1)[:, None], chosen, current)


def logits_processor(compiled, max_new_tokens: Optional[int] = None, max_string: int = MAX_STRING,
                     reserve: Optional[int] = None) -> GrammarLogitsProcessor:
    """A fresh grammar logits processor for one generate() call with `max_new_tokens` (None: no
    closing at the end of the budget; strings are still closed at `max_string` characters)."""
    return GrammarLogitsProcessor(compiled, max_new_tokens=max_new_tokens, max_string=max_string, reserve=reserve)


def accepts(compiled, token_ids: list[int], stop_token_id: Optional[int] = None) -> bool:
    """True when the grammar accepts `token_ids` one token at a time as a complete answer (followed
    by `stop_token_id`, if given). What tests use to check that canonical targets are reachable."""
    import xgrammar as xgr

    matcher = xgr.GrammarMatcher(compiled)
    for token in token_ids:
        if not matcher.accept_token(int(token)):
            return False
    if stop_token_id is not None:
        return matcher.accept_token(int(stop_token_id)) and matcher.is_terminated()
    return matcher.is_completed()


def accepts_text(compiled, text: str) -> bool:
    """True when `text` (characters, not tokens) is one complete answer of the grammar."""
    import xgrammar as xgr

    matcher = xgr.GrammarMatcher(compiled)
    return matcher.accept_string(text) and matcher.is_completed()
