"""Conversations in the synthetic data: history, follow-ups and requests that need several calls.

Off by default: a recipe turns it on with `data.conversations` (ConversationSettings), and the rows of
a recipe without it are byte for byte what they were. When on, each split is first built exactly as
before; then each row, drawn with its own random stream (`{seed}:conversations:{split}`), may become:

  several    a call row's request becomes two or three asks joined into one ("lock the doors and turn
             the headlights on"); the target is the list of calls in the order said. Tools come from
             the bank's `conversations.combinations` when it declares some for the tool, else any
             other tools of the catalogue.
  follow_up  the row's request and its call become history (user, assistant call, tool result) and the
             user says a follow-up that reuses or changes an argument ("actually make it 22", "the
             same for the back seats"): the target keeps the earlier arguments it does not change.
             Follow-ups are the bank's `conversations.follow_ups`, else drafted from the schema
             (toolrouter.data.draft.draft_follow_ups).
  supplied   a request with a required argument missing, the assistant's no_tool, then the user's
             answer with the value: the target is the call with everything said in both turns.
  history    one or two unrelated earlier exchanges (a call and its tool result, sometimes two calls,
             or a greeting and its reply) before the row's own request, call or no_tool alike.

Tool turns are `{"role": "tool", "content": <JSON text>}`: the bank's `conversations.results` for the
tool, or a generic acknowledgement. Every call (history and answer) is written canonically and parsed
back against the catalogue, as single-turn rows are. Rows built on a robust (subset) prompt are left
as they are: their history could name a tool the prompt does not show.

Gold files keep history format-neutral (OpenAI style): an earlier call is an assistant message with
`tool_calls`, a spoken reply an assistant message with text; `gold_messages` writes a row's history
that way and `format_history` renders it in a run's answer format (eval does, before generation).
"""
from __future__ import annotations

import random
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolrouter.core.schema import NO_TOOL, ToolrouterError
from toolrouter.formats import calls_of  # noqa: F401 (re-exported)
# The format-neutral history lives in formats/ (eval reads it too); re-exported for data's callers.
from toolrouter.formats.history import format_history, gold_messages, openai_message, target_of_openai  # noqa: F401
from toolrouter.formats.parse import format_call, parse_tool_call

SUPPLY_FORMS = ["{}", "{}", "{}", "make it {}", "{} please", "uh, {}", "let's say {}", "{}, thanks", "set it to {}",
                "oh, {}", "{} I guess", "go with {}"]
GENERIC_RESULTS = ['{"status":"ok"}', '{"status": "ok"}', '{"ok":true}', '{"result":"done"}', '{"status":"success"}']
KINDS = ("several", "follow_up", "supplied", "history")


class ConversationSettings(BaseModel):
    """`data.conversations` of a recipe: the shares of rows that get history or several calls."""

    model_config = ConfigDict(extra="forbid")

    history: float = Field(0.4, ge=0.0, le=1.0, description="share of rows (calls and no_tools) that get earlier "
                                                             "turns: a follow-up, a supplied value or unrelated history")
    several: float = Field(0.2, ge=0.0, le=1.0, description="share of call rows whose request needs several calls")
    max_calls: int = Field(3, ge=2, le=3, description="the most calls one request asks for")
    max_earlier: int = Field(2, ge=1, le=3, description="the most unrelated earlier exchanges before a request")
    follow_up: float = Field(0.5, ge=0.0, le=1.0, description="of the call rows given history: the share that "
                                                               "become follow-ups (where the tool has any)")
    supplied: float = Field(0.15, ge=0.0, le=1.0, description="of the call rows given history: the share that "
                                                               "become a missing argument supplied in the next turn")

    @model_validator(mode="after")
    def _shares(self):
        if self.follow_up + self.supplied > 1:
            raise ValueError(f"follow_up + supplied is a share of the rows given history: at most 1 "
                             f"(got {self.follow_up} + {self.supplied})")
        return self


# ---------------------------------------------------------------------------------------------
# building

def add_conversations(builder, rows: list[dict], split: str, settings: ConversationSettings,
                      rng: random.Random) -> list[dict]:
    """The split's rows with some turned into conversations (see the module docstring). Same rows,
    settings and rng state, same result."""
    maker = _Maker(builder, split, settings, rng)
    return [maker.row(row) for row in rows]


class _Maker:
    def __init__(self, builder, split: str, settings: ConversationSettings, rng: random.Random):
        self.b, self.split, self.s, self.rng = builder, split, settings, rng
        self.side = "test" if split == "test" else "train"
        self.bank, self.cat = builder.bank, builder.catalogue
        self.call_tools = [t for t in self.cat.names if self.b._side(self.bank.tools[t], self.side)]
        self.missing: dict[str, list] = {}
        for tpl in self.b._side(self.bank.negatives["missing_argument"], self.side):
            self.missing.setdefault(tpl.tool, []).append(tpl)
        self.greetings = self.b._side(self.bank.negatives["greeting"], self.side)

    # --- one row ---------------------------------------------------------------------------------
    def row(self, row: dict) -> dict:
        full_system = self.b.full[1]  # (catalogue shown, system prompt, tools column) of the whole catalogue
        if row["messages"][0]["content"] != full_system or row.get("tools") != self.b.full[2] or len(row["messages"]) != 3:
            return row  # a robust subset prompt (or already a conversation): left as it is
        rng, meta = self.rng, row["meta"]
        is_call = meta["tool"] != NO_TOOL
        several = is_call and len(self.call_tools) >= 2 and rng.random() < self.s.several
        history = rng.random() < self.s.history
        if not several and not history:
            return row
        user = row["messages"][1]["content"]
        target = self.b.fmt.target_of(row["messages"][2])
        kind = "history"
        turns: list[tuple[str, Any]] = []
        if several:
            user, target = self.several(meta["tool"])
            kind = "several"
        elif is_call:
            r = rng.random()
            if r < self.s.follow_up and self.bank.follow_ups.get(meta["tool"]):
                turns, user, target = self.follow_up(user, target)
                kind = "follow_up"
            elif r < self.s.follow_up + self.s.supplied and self.missing.get(meta["tool"]):
                turns, user, target = self.supplied(meta["tool"])
                kind = "supplied"
        if kind in ("history", "several") and history:
            turns = [t for _ in range(rng.randint(1, self.s.max_earlier)) for t in self.exchange()]
        if not turns and kind != "several":
            return row
        out = dict(row)
        out["messages"] = [row["messages"][0], *self.messages(turns), {"role": "user", "content": user},
                           self.b.fmt.assistant_message(target, self.cat)]
        out["meta"] = {**meta, **self._meta(kind, turns, target, meta)}
        return out

    def _meta(self, kind, turns, target, meta) -> dict:
        calls = calls_of(target)
        tool = NO_TOOL if not calls else calls[0]["tool"] if len(calls) == 1 else "+".join(c["tool"] for c in calls)
        template = meta["template"] if kind == "history" else "several" if kind == "several" else \
            f"{kind}:{meta['template']}"
        return {"tool": tool, "template": template, "conversation": kind,
                "turns": 1 + sum(role == "user" for role, _ in turns)}

    def messages(self, turns: list[tuple[str, Any]]) -> list[dict]:
        out = []
        for role, payload in turns:
            if role == "assistant":
                out.append(self.b.fmt.assistant_message(payload, self.cat))
            else:
                out.append({"role": role, "content": payload})
        return out

    # --- the parts ---------------------------------------------------------------------------------
    def _call(self, tool: str, plain: bool = True, ctx: Optional[dict] = None, tpl=None) -> tuple[str, dict]:
        """A request for `tool` and its verified call."""
        tpl = tpl or self.b._deck((self.split, "conversation", tool), self.b._side(self.bank.tools[tool], self.side),
                                  self.rng)
        text, args = self.b.render(tpl, self.split, self.rng, plain=plain, ctx=ctx)
        return text, self.verified(tpl.tool, args, tpl.id, text)

    def verified(self, tool: str, args: dict, where: str, text: str) -> dict:
        result = parse_tool_call(format_call(tool, args, self.cat), self.cat)
        if result.kind != "call" or result.tool != tool or result.arguments != args:
            raise ToolrouterError(f"phrasing bank {self.bank.source}: {where} ({tool}) made a call that does not "
                                  f"verify against the catalogue: {args} ({result.error}: {result.message}); request: "
                                  f"{text!r}. Fix the template's slots or surface forms in the bank")
        return {"tool": tool, "arguments": args}

    def result(self, call: dict) -> str:
        return self.rng.choice(self.bank.results.get(call["tool"]) or GENERIC_RESULTS)

    def several(self, first: str) -> tuple[str, list[dict]]:
        rng = self.rng
        combos = [c for c in self.bank.combinations if first in c and len(c) <= self.s.max_calls
                  and all(t in self.call_tools for t in c)]
        if combos and rng.random() < 0.7:
            tools = list(rng.choice(combos))
            if rng.random() < 0.5:
                rng.shuffle(tools)
        else:
            k = 3 if self.s.max_calls >= 3 and len(self.call_tools) >= 3 and rng.random() < 0.25 else 2
            tools = [first] + rng.sample([t for t in self.call_tools if t != first], k - 1)
        parts, calls = [], []
        for tool in tools:
            text, call = self._call(tool)
            parts.append(text)
            calls.append(call)
        joins = [rng.choice(self.bank.connectives) for _ in parts[1:]]
        if len(parts) == 3 and rng.random() < 0.5:
            joins[0] = ", "
        text = parts[0] + "".join(j + p for j, p in zip(joins, parts[1:]))
        if rng.random() < 0.2:
            text = rng.choice(self.bank.prefixes) + text
        if rng.random() < 0.2:
            text += rng.choice(self.bank.suffixes)
        return text, calls

    def follow_up(self, user: str, earlier: dict) -> tuple[list, str, dict]:
        rng = self.rng
        up = rng.choice(self.bank.follow_ups[earlier["tool"]])
        said_args = set(up.tpl.samplers)
        props = self.cat[up.tool].properties
        keep = up.keep if up.keep is not None else list(props)
        ctx = {k: v for k, v in earlier["arguments"].items() if k in keep and k in props and k not in said_args}
        ctx.update(up.fixed)
        for _ in range(10):  # a follow-up that says a value says a new one
            text, args = self.b.render(up.tpl, self.split, rng, plain=True, ctx=ctx)
            if up.tool != earlier["tool"] or not said_args or any(
                    earlier["arguments"].get(k) != args.get(k) for k in said_args):
                break
        call = self.verified(up.tool, args, up.tpl.id, text)
        return [("user", user), ("assistant", earlier), ("tool", self.result(earlier))], text, call

    def supplied(self, tool: str) -> tuple[list, str, dict]:
        rng = self.rng
        tpl = rng.choice(self.missing[tool])
        ask, args = self.b.render(tpl, self.split, rng)
        samplers, surfaces = self.bank.samplers[tool], []
        for arg in self.cat[tool].required:
            if arg not in args:
                value, surface = samplers[arg].sample(rng, self.split, "", args)
                args[arg] = value
                surfaces.append(surface)
        text = rng.choice(SUPPLY_FORMS).format(" and ".join(surfaces))
        call = self.verified(tool, args, tpl.id, f"{ask} / {text}")
        return [("user", ask), ("assistant", {"tool": NO_TOOL, "reason": tpl.reason})], text, call

    def exchange(self) -> list[tuple[str, Any]]:
        """One unrelated earlier exchange: a call (sometimes two) with its result(s), or a greeting."""
        rng = self.rng
        r = rng.random()
        if r < 0.15 and self.greetings:
            tpl = rng.choice(self.greetings)
            text, _ = self.b.render(tpl, self.split, rng)
            return [("user", text), ("assistant", {"tool": NO_TOOL, "reason": tpl.reason})]
        if r < 0.3 and self.s.several > 0 and len(self.call_tools) >= 2:
            text, calls = self.several(rng.choice(self.call_tools))
            return [("user", text), ("assistant", calls), *[("tool", self.result(c)) for c in calls]]
        tool = rng.choice(self.call_tools)
        tpl = self.b._deck((self.split, "conversation", tool), self.b._side(self.bank.tools[tool], self.side), rng)
        text, args = self.b.render(tpl, self.split, rng)
        call = self.verified(tool, args, tpl.id, text)
        return [("user", text), ("assistant", call), ("tool", self.result(call))]
