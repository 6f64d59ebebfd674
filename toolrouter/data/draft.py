"""A phrasing bank drafted from a catalogue's schema alone: natural requests and negatives.

A tool without a hand-written bank gets templates of the bank language built from what it does:
the verb phrase of its description ("Order a taxi from one place to another" -> "order a taxi"),
the noun of its name ("taxi"), and per argument a phrase that depends on its kind ("from {pickup}",
"to {destination}", "in {city}", "at {time}", "for {minutes}", "saying {message}"), in imperative,
polite, nominal ("a taxi from ... to ..."), indirect ("what's the weather in ...?") and reordered
frames; optional arguments are in `[...]`, so each is said in about half the rows. A tool's example
requests (class-level `json_schema_extra={"examples": [...]}`) become templates too: the argument
values are found inside each example and replaced by slots. Negatives: a required argument
missing, near-misses (the tool's object with an action no tool does: "cancel my taxi"), out-of-scope
asks and chit-chat. Values and their spoken forms come from `toolrouter.data.values`.

The same draft is what `toolrouter bank draft CATALOGUE --out FILE` writes, so a user starts
editing exactly what the generic data was made of:

    toolrouter bank draft my_tools.py --out my_tools.bank.yaml
"""
from __future__ import annotations

import re
import sys
from typing import Any, Optional

from toolrouter.data.bank import missing_reason
from toolrouter.data.values import (PLACE_HEADS, UNITS, arg_kind, enum_forms, enum_words, first_word, head_words,
                                    plural, raw_properties, say_date, say_number, say_time, singular, slot_values,
                                    tool_examples, unit_forms, unit_of, words_of)

# two-word verbs first; a description's first verb is looked up here for synonyms
PHRASAL = ("look up", "search for", "turn on", "turn off", "switch on", "switch off", "set up", "sign up",
           "pick up", "check in", "log in", "find out")
VERBS = {"get": ["get", "show me", "check", "tell me"], "check": ["check", "look up"], "set": ["set", "put"],
         "send": ["send"], "start": ["start", "set"], "create": ["create", "add", "make", "set up"],
         "add": ["add", "put", "create"], "search for": ["find", "search for", "look for"],
         "search": ["search", "find", "look for"], "find": ["find", "look for", "search for"],
         "look up": ["look up", "find", "check"], "reserve": ["reserve", "book"], "book": ["book", "reserve"],
         "order": ["order", "get"], "play": ["play", "put on"], "show": ["show", "show me"],
         "list": ["list", "show me"], "schedule": ["schedule", "book", "set up"], "make": ["make", "create"],
         "put": ["put", "add"], "file": ["file", "open", "log"], "raise": ["raise", "open"],
         "update": ["update", "change"], "turn on": ["turn on", "switch on"], "turn off": ["turn off", "switch off"],
         "open": ["open"], "close": ["close"], "call": ["call", "ring"], "buy": ["buy", "order", "get", "purchase"],
         # the everyday words for a description's formal verb ("turn in Problem Set 5", "settle my bill"); none is
         # a near-miss verb (NEAR_MISS_VERBS), which would make the near-misses say what a tool does
         "submit": ["submit", "hand in", "turn in", "upload"], "pay": ["pay", "settle"],
         "transfer": ["transfer", "send", "move"], "freeze": ["freeze", "lock", "block"], "log": ["log", "record"],
         "record": ["record", "log"], "rate": ["rate", "give"], "apply": ["apply", "use"],
         "return": ["return", "send back"], "contact": ["contact", "talk to", "reach"], "refill": ["refill", "renew"],
         "cast": ["cast", "stream"], "email": ["email", "write to"], "request": ["request", "ask for"],
         "report": ["report", "flag"], "save": ["save", "add"],
         # phrasal verbs people use with themselves as the object ("sign me up for ...", "put me down for ...")
         "sign up": ["sign up", "sign me up", "register", "put me down"],
         "register": ["register", "sign me up", "enroll"],
         "enroll": ["enroll", "sign me up", "register"], "join": ["join", "sign me up for"],
         "renew": ["renew", "extend"], "place": ["place", "put"], "answer": ["answer", "reply to", "respond to"],
         "plan": ["plan", "find"], "unlock": ["unlock", "get"], "ask": ["ask", "get"]}
ASKING = {"get", "check", "look up", "search for", "search", "find", "show", "list", "find out"}
PARTICLES = ("on", "off", "up", "down", "in", "out", "back", "over")
SEARCHING = ("search", "search for", "find", "look for", "look up", "recommend", "browse", "discover")
# Verbs people say without the tool's object, its arguments in its place: "book at Nopa for 4",
# "convert 100 USD to EUR", "schedule the budget review on Monday at 10". Not "send": "send to
# sam@x.com about the demo" trained a router (office_tools) to take "send an email to X about Y" for
# the missing-subject negative "send an email to X" (send_email 10 -> 1 of 10).
OBJECTLESS = ("book", "reserve", "schedule", "convert", "translate", "order", "call", "transfer", "pay",
              "exchange", "invite")
AMOUNTS = ("amount", "sum", "total", "value", "price", "cost")
MONEY_UNITS = ("dollar", "euro")
MONEY_NOUNS = ("money", "cash", "funds")
# nouns that stand for an argument's value in a description: "an item", "a piece of text", "an entry"
PLACEHOLDERS = ("item", "items", "piece", "thing", "things", "entry", "something")
_VERB_FRAMES = ("{V} {A}", "please {V} {A}", "can you {V} {A}?", "could you {V} {A} for me?", "i need to {V} {A}",
                "i want to {V} {A}", "i'd like to {V} {A}", "go ahead and {V} {A}", "hey, {V} {A}", "{V} {A} now",
                "can i {V} {A}?")
PREPOSITIONS = ("for", "to", "in", "on", "at", "from", "with", "of", "by", "into", "about", "between")
INDEFINITE = ("a", "an", "one", "another", "some", "any", "given", "specified", "specific", "someone", "somebody",
              "something", "anyone")
ARTICLES = ("a", "an", "the", "some")
PLACE_PREPOSITIONS = ("near", "around", "over", "under", "below", "above", "within")
WH = ("how ", "what ", "which ", "who ", "where ", "when ")
# verbs that begin tool names ("track_order", "contact_support", "apply_coupon"): the name's first word is
# a verb people say, and the rest is the noun
TOOL_VERBS = ("track", "contact", "apply", "return", "cancel", "book", "order", "buy", "send", "pay", "transfer",
              "rate", "log", "record", "refill", "renew", "find", "search", "check", "get", "set", "add", "create",
              "start", "stop", "play", "call", "email", "text", "remind", "schedule", "convert", "translate",
              "open", "close", "reserve", "request", "submit", "report", "share", "upload", "download", "save",
              "redeem", "message", "invite", "follow", "subscribe", "freeze", "lock", "unlock", "list", "show")
SUBORDINATORS = ("when", "whenever", "once", "so", "that", "which", "who", "because", "until", "while")
# nouns of information a tool gives (its "rules", "status", "forecast"): a question about one is what the tool answers
INFO_NOUNS = {"requirement", "rule", "status", "weather", "forecast", "balance", "direction", "information", "info",
              "detail", "availability", "hour", "price", "rate", "schedule", "policy", "option", "time", "result"}
NEAR_MISS_VERBS = ["cancel", "delete", "change", "reschedule", "undo", "rename", "share", "edit", "remove"]
_SPECIAL = re.compile(r"[{}()\[\]|]")
_LEAD = re.compile(r"\b(?:in|for|at|on|to|with|by|over|from|called|named|labelled|saying)(?: the next| the)? $")
_SHAPES = {"date": r"\b\d{4}-\d{2}-\d{2}\b", "time": r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b|\b\d{1,2}:\d{2}\b",
           "number": r"\b\d+(?:\.\d+)?\b",
           "datetime": r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?\b"}
_ADJ_UNITS = ("minute", "hour", "second", "day", "week", "night", "month")
# the verbs people make of some nouns: "remind me to ...", "text mom ...", "wake me up at 7"
NOUN_VERBS = {"reminder": ["remind me"], "text": ["text"], "message": ["message"], "email": ["email"],
              "alarm": ["wake me up", "wake me"], "call": ["call"], "note": ["note down"], "booking": ["book"],
              "reservation": ["reserve"], "search": ["search"], "translation": ["translate"], "payment": ["pay"],
              "alert": ["alert me", "notify me", "warn me", "let me know"],
              "notification": ["notify me", "let me know"]}

_SENT = ("text", "message", "email", "call")  # nouns whose verb needs someone to send it to
# What a yes/no check is also asked as: its opposite ("Check whether a flight is on time": "is it delayed?")
OPPOSITES = {"on time": ["delayed", "late", "running late"], "open": ["closed"], "closed": ["open"],
             "available": ["taken", "booked", "sold out"], "online": ["offline", "down"], "up": ["down"],
             "in stock": ["out of stock", "sold out"], "valid": ["expired", "invalid"], "free": ["busy", "taken"],
             "running": ["stopped", "down"], "active": ["inactive", "disabled"], "enabled": ["disabled"]}


def _lit(text: str) -> str:
    """Literal text for a template: the bank language's special characters removed."""
    return _SPECIAL.sub("", text)


def _alt(options: list[str]) -> str:
    options = list(dict.fromkeys(o for o in options if o is not None))
    return options[0] if len(options) == 1 else "(" + "|".join(options) + ")"


def _it(verbs: list[str]) -> str:
    """The verbs acting on "it", the pronoun before a particle: "freeze it", "put it on", "look it up"."""
    return _alt([f"{v.split()[0]} it {v.split()[1]}" if len(v.split()) == 2 and v.split()[1] in PARTICLES
                 else f"{v} it" for v in verbs])


_singular = singular  # "flights" -> "flight", "glasses" -> "glass"; "status", "class" stay


class Phrase:
    """What a tool does, in words: verb, object ("a taxi"), noun from its name ("taxi")."""

    def __init__(self, spec):
        desc = (spec.description or "").strip().split(". ")[0].rstrip(". ")
        # what follows a colon or semicolon lists or explains ("Book a tire appointment: seasonal swap,
        # rotation ..."): the object ends before it, else "a tire appointment: seasonal swap" was the thing booked
        desc = re.split(r"[:;] ", desc)[0]
        words = _lit(desc).lower().replace(",", " ,").split()
        name_words = words_of(spec.name).split()
        verb = ""
        if words:
            two = " ".join(words[:2])
            if two in PHRASAL:
                verb, words = two, words[2:]
            else:
                verb, words = words[0], words[1:]
                if verb.endswith("s") and verb[:-1] in VERBS:  # "Gets the weather" -> "get"
                    verb = verb[:-1]
                elif verb.endswith("es") and verb[:-2] in VERBS:
                    verb = verb[:-2]
        if not verb and name_words:
            verb, words = name_words[0], name_words[1:]
        cut = len(words)
        for i in range(1, len(words) - 1):  # "... for a city": an argument's placeholder, said by the slots
            if words[i] in PREPOSITIONS + PLACE_PREPOSITIONS and words[i + 1] in INDEFINITE \
                    or words[i] in (",", "and", "or", "if") + SUBORDINATORS \
                    or words[i:i + 2] == ["to", "be"]:  # "Order pet food to be delivered": "pet food"
                cut = i
                break
        self.verb = verb
        self.obj = " ".join(words[:cut]).strip()
        # what is asked of someone ("Ask housekeeping to clean the room"): who is asked is the object, the act is
        # said by its own frames (_asked_act); a clause is no object ("Tell the front desk something in my room
        # is broken" made "report the front desk something in my room is broken" and "the something"): the
        # name's noun says it ("report a room issue")
        self.asked = asked = _asked_act(spec.description or "")
        clause = not self.obj.startswith(("whether ", "if ") + WH) and bool(  # (a question is its own clause)
            re.search(r"\b(?:is|are|was|were)\b", self.obj))
        cleared = bool(self.obj) and not (asked and asked[0]) and bool(asked or clause)
        if asked and asked[0]:
            self.obj = asked[0]
        elif cleared:
            self.obj = ""
        # where an "or" cut the object ("Save a movie or show to the watchlist"), the phrase after it
        # that says where ("to the watchlist"), when it names no placeholder
        after = words[cut + 1:] if cut < len(words) and words[cut] in ("or", "and") else []
        at = next((i for i, w in enumerate(after) if w in PREPOSITIONS), None)
        self.tail = " ".join(after[at:]) if at is not None and not set(after[at:]) & set(INDEFINITE) else ""
        # what the description says after a "when" ("Get an alert when monthly spending in a category goes
        # over a limit"): a clause a request may say as it is, its placeholders said by the arguments
        self.when = " ".join(words[cut:]) if cut < len(words) and words[cut] in ("when", "whenever", "once") else ""
        # the placeholders the description names after a preposition: ("to", "company") in "Pay a bill
        # to a company", ("near", "place") in "Find ATMs near a place"; an argument they stand for is
        # said with that preposition
        self.placeholders = [(words[i], words[i + 2].strip(",")) for i in range(len(words) - 2)
                             if words[i] in PREPOSITIONS + PLACE_PREPOSITIONS and words[i + 1] in INDEFINITE]
        self.clause = ""
        mine = False
        if self.obj.startswith(("whether ", "if ")):  # "check whether a flight is on time": a question, no object
            self.clause, self.obj = " ".join(words), ""
        elif self.obj.startswith(WH):  # "Check how much money is in an account", "Find out where an
            self.clause, self.obj, mine = " ".join(words), "", True  # order is": the name's noun is the object
        # a name that puts another verb before the object ("transfer_money" described as "Send money ..."):
        # its first word is a verb too, not part of the noun
        obj_words = [w for w in self.obj.split() if w not in ARTICLES]
        name_verb = len(name_words) > 1 and name_words[0] not in PREPOSITIONS and (
            obj_words and name_words[-1] in (obj_words[-1], _singular(obj_words[-1])) and name_words[0] not in obj_words
            or name_words[0] in TOOL_VERBS  # "track_order", "contact_support": a verb people use
            or len(name_words) > 2 and name_words[1] in PREPOSITIONS  # "cast_to_tv", "add_to_cart": a verb
            # a name's first word that its description never says is the tool's own verb, as names are written
            # ("diagnose_plant_problem" described as "Ask the plant doctor ...": "diagnose a plant problem", not
            # "ask a diagnose plant problem"); a noun it starts with is the description's ("flight_status")
            or not re.search(r"\b" + re.escape(name_words[0]) + r"(?:s|es|d|ed)?\b", (spec.description or "").lower())
            and not name_words[0].endswith(("s", "ing", "tion")))
        rest = name_words[1:] if len(name_words) > 1 and (name_words[0] in (verb, verb.split()[0], *VERBS)
                                                          or name_verb) else name_words
        while rest and rest[0] in PREPOSITIONS + ARTICLES:  # "add_to_shopping_list": "shopping list"
            rest = rest[1:]
        self.noun = " ".join(rest) or (self.obj.split()[-1] if self.obj else "")
        article = self.obj.split()[0] if self.obj and self.obj.split()[0] in ARTICLES else "a" if cleared else ""
        if article in ("a", "an"):
            article = "an" if self.noun[:1] in "aeiou" else "a"
        self.article = "my" if mine else article
        self.verbs = VERBS.get(verb, [verb])
        if name_verb and name_words[0] not in self.verbs:
            self.verbs = self.verbs + [name_words[0]]
        # "Get an alert when ..." named set_budget_alert: a thing made, not information asked for: the
        # name's verbs, not "show me" / "tell me"
        self.asking = bool(verb) and (verb in ASKING or verb.split()[0] in ASKING)
        # what a request may call the user's own ("freeze my debit card", "check my grade"): not what is
        # searched for or found ("find a pharmacy")
        self.owned = verb == "check" or not self.asking and verb not in SEARCHING
        named = name_words[0] if len(name_words) > 1 else ""  # "schedule_meeting" described as "Put a meeting ..."
        if verb == "get" and named in ("set", "create", "add", "make", "start"):
            self.verbs, self.asking = ["get"] + VERBS[named] + ["set up"], False
        if named in VERBS and named != verb:
            self.verbs = list(dict.fromkeys(self.verbs + VERBS[named]))

    def objects(self, adjective: str = "") -> list[str]:
        """Ways to name the tool's object, with an optional adjective slot before its noun."""
        adj = f"{adjective} " if adjective else ""
        forms = []
        if self.obj:
            parts = self.obj.split()
            if adjective and parts[0] in ARTICLES:
                forms.append(" ".join([parts[0], adj + " ".join(parts[1:])]))
            else:
                forms.append(adj + self.obj)
        parts = self.obj.split()
        # the head noun stands before any prepositional phrase: "a meeting on the calendar" -> "meeting"
        parts = parts[:next((i for i, p in enumerate(parts) if i and p in PREPOSITIONS), len(parts))]
        if len(parts) > 2 and parts[0] in ARTICLES and parts[-1] != self.noun:  # its head noun: "the forecast"
            art = parts[0] if parts[0] not in ("a", "an") or adj else ("an" if parts[-1][:1] in "aeiou" else "a")
            forms.append(f"{art} {adj}{parts[-1]}")
        if self.noun:
            art = self.article
            if adjective and art in ("a", "an"):
                art = "a"  # "a {cuisine} ..." cannot know the vowel of the value; "a" reads fine
            forms.append(f"{art} {adj}{self.noun}".strip())
        if self.owned:  # a thing of the user's is "my debit card" and "the card" as often as "a card"
            forms += [f"{d} {f.split(' ', 1)[1]}" for f in forms if f.split()[0] in ("a", "an") and " " in f
                      for d in ("my", "the")]
        return list(dict.fromkeys(f for f in forms if f)) or [self.noun or "it"]


def arg_phrases(arg: str, schema: dict, kind: str) -> list[str]:
    """The phrases that carry an argument in a request, by its kind: "in {city}", "at {time}"."""
    s = "{" + arg + "}"
    w = _lit(words_of(arg))
    first = w.split()[0] if len(w.split()) > 1 else ""  # "from_currency", "target_language"; not "to" itself
    if kind not in ("place_to", "place_from", "person") and first in ("from", "source", "origin"):
        return [f"from {s}"]  # a bare "from" currency follows its amount: tool_templates' money frames
    if kind not in ("place_to", "place_from", "person") and first in ("to", "target", "into"):
        return [f"to {s}", f"into {s}", f"in {s}"] if kind == "currency" else [f"to {s}", f"into {s}"]
    if kind == "currency":
        return [s, f"in {s}"]
    if kind == "title":
        said = "subject" if "subject" in w else "title"
        return [f"called {s}", f"titled {s}", f"about {s}", f"with the {said} {s}", f"{said} {s}", f"{said}: {s}"]
    if kind == "summary":
        return [f": {s}", f"- {s}", f"about {s}", f"saying {s}", f"that says {s}", f"for {s}"]
    if kind == "time":
        return [f"at {s}", f"for {s}"]
    if kind == "date":
        return [f"on {s}", f"for {s}"]
    if kind == "datetime":
        return [f"on {s}", f"for {s}"]
    if kind == "city":
        return [f"in {s}", f"for {s}"]
    if kind == "place":
        # a place named for what it is ("club": "Club location ..."): "at the Riverside club" as well
        named = len(w.split()) == 1 and w not in PLACE_HEADS + ("place", "where", "near", "spot", "area", "here") \
            and w not in PREPOSITIONS and (w in head_words(schema) or w in ("branch", "office", "campus", "site")
                                           or bool(set(head_words(schema)) & set(PLACE_HEADS)))
        return [f"at {s}", f"in {s}", f"for {s}"] + ([f"at the {s} {w}", f"the {s} {w}"] if named else [])
    if kind == "color":  # "in black", "the black one"
        said = "color" if "color" in f"{w} {schema.get('description') or ''}".lower() else "colour"
        return [f"in {s}", f"the {s} one", f"in the {s} {said}"]
    if kind == "place_to":
        return [f"to {s}", f"going to {s}"]
    if kind == "place_from":
        return [f"from {s}"]
    if kind == "person":
        return [f"to {s}", f"for {s}"] if w in ("to", "recipient", "contact") else [f"for {s}", f"with {s}"]
    if kind == "message" and w in ("note", "memo", "reference", "comment"):  # a payment's note: "for rent"
        return [f"for {s}", f"with the {w} {s}", f"{w}: {s}"]
    if kind == "message":
        return [f"saying {s}", f"that says {s}", f"with the message {s}", f"telling them {s}"]
    if kind == "task":
        return [f"to {s}"]
    if kind == "label":
        return [f"called {s}", f"named {s}", f"for {s}"]  # ("labelled" is written, not said)
    if kind == "query":
        return [f"for {s}", f"about {s}"]
    if kind in ("email", "phone"):
        return [f"to {s}", f"at {s}"] if w in ("to", "recipient", "email", "phone") else [f"{w} {s}", f"with {s}"]
    if kind == "id":
        noun = " ".join(x for x in w.split() if x not in ("id", "number", "code", "ref", "reference")) or w
        return [f"{noun} {s}", f"for {noun} {s}", s]
    if kind == "restaurant":
        return [f"at {s}"]
    if kind == "number":
        unit = unit_of(arg, schema)
        if unit in _ADJ_UNITS and _lead_time(arg, schema):  # "remind me an hour before", not "for an hour"
            slot = "{" + arg + ":adj}"
            return [f"remind me {s} before", f"{s} before", f"with a {slot} reminder"] if re.search(
                r"remind", f"{arg} {schema.get('description') or ''}".lower()) else [f"{s} before", f"{s} ahead"]
        if unit in ("minute", "hour", "second", "week", "month", "night"):
            return [f"for {s}"]
        if unit == "day":
            return [f"for {s}", f"for the next {s}", f"over the next {s}"]
        if unit in ("person", "people", "guest", "passenger"):
            return [f"for {s}"]
        if unit in ("percent", "degree"):
            return [f"to {s}", f"at {s}"]
        if w in ("amount", "quantity", "count", "sum", "number", "value", "total"):
            return [s]  # "convert 100 USD", "order 3": the number says itself
        if w == "year":
            return [f"from {s}", f"in {s}"]
        desc = (schema.get("description") or "").lower()
        if w.split()[0] in ("max", "maximum") or re.match(r"(?:the )?(?:highest|maximum|most)\b", desc) \
                or re.search(r"\bat most\b", desc):  # "under $80", not "max price 80"
            # a distance is a radius: "within 5 miles"
            near = [f"within {s}"] if unit in ("mile", "kilometer", "km") else []
            return near + [f"under {s}", f"below {s}", f"for less than {s}", f"up to {s}"]
        if w.split()[0] in ("min", "minimum") or re.match(r"(?:the )?(?:lowest|minimum|least)\b", desc) \
                or re.search(r"\bat least\b", desc):
            return [f"over {s}", f"above {s}", f"at least {s}"]
        if unit and unit not in ("dollar", "euro"):
            return [s]  # said with its unit, it says itself: "2 tickets", "5 stars" (not "tickets 2 tickets")
        return [f"{w} {s}", f"with {w} of {s}"] if w else [s]
    if kind == "enum" and re.search(r"\babout\W*$", (schema.get("description") or "").lower()):
        return [f"about {s}", f"with {s}", f"for {s}"]  # "What the problem is about.": "about billing"
    ends = re.search(r"\b(for|with|from|in|on|at)\W*$", (schema.get("description") or "").lower())
    if kind == "enum" and ends:  # "Which animal the food is for.": "for the dog", "for my cat"
        return [f"{ends.group(1)} the {s}", f"{ends.group(1)} my {s}", f"{ends.group(1)} {s}"]
    if kind == "enum":  # "cheap", "cheap price range"; "thai food" when described as a "Type of food."
        head = head_noun(schema)
        # the name's noun, not its schema word: `class_type` is "a yoga class", not "a yoga class type"; a bare
        # `category` or `kind` says no noun
        noun = " ".join(x for x in w.split() if x not in _KIND_WORDS)
        return list(dict.fromkeys([s] + ([f"{s} {noun}"] if noun else []) + ([f"{s} {head}"] if head else [])))
    desc = (schema.get("description") or "").lower()
    if kind == "country" and re.search(r"\b(passport|citizen|citizenship|nationality|issued)\b", desc):
        return [f"with a {s} passport", f"on a {s} passport", f"from {s}"]  # whose passport, not where to
    if kind == "country" and (re.search(r"\b(destination|to)\b", w) or re.search(r"\b(visit|travel|go|going)\b", desc)):
        return [f"to {s}", f"for {s}", f"in {s}"]  # "a visa for Japan", "going to Japan"
    if kind == "company" and re.search(r"\b(merchant|vendor|store|shop|retailer|supplier|airline)\b", f"{w} {desc}"):
        return [f"at {s}", f"from {s}", f"with {s}", f"for {s}"]  # where money was spent: "at Staples"
    if kind in ("country", "company", "product", "food"):
        return [f"for {s}", f"in {s}"] if kind == "country" else [f"for {s}"]
    if kind == "bool":
        return [s]  # its forms say it ("online", "not urgent"): "online only online only yes" was an echo
    return [f"{w} {s}", f"for {s}"]


def _of_what(schema: dict) -> str:
    """What a field's description says it is "of" at its end ("Make and model of the phone." -> "phone"); ""."""
    m = re.search(r"\bof (?:the|a|an|my) (\w+)\W*$", (schema.get("description") or "").lower().split(";")[0])
    return m.group(1) if m else ""


def _lead_time(arg: str, schema: dict) -> bool:
    """A length of time before something ("Minutes before the start to remind me.", `notice_hours`), not the
    length of the thing itself."""
    return bool(re.search(r"\b(before|remind|reminder|advance|ahead|prior|notice)\b",
                          f"{words_of(arg)} {schema.get('description') or ''}".lower()))


def _money(required, raw: dict, kinds: dict) -> Optional[str]:
    """The required number argument that is an amount of money (in dollars, or named amount, price, ...)."""
    return next((a for a in required if kinds[a] == "number" and (
        unit_of(a, raw[a]) in MONEY_UNITS or words_of(a).split()[-1] in AMOUNTS)), None)


def _stands_for(arg: str, schema: dict, kind: str, noun: str) -> bool:
    """Whether a description's placeholder noun ("a company") stands for this argument: its name, its
    description's first word, or its kind says that noun."""
    first = first_word(schema)
    return _singular(noun) in set(words_of(arg).split()) | ({_singular(first)} if first else set()) | {kind}


def tool_phrases(spec, raw: dict, kinds: dict, p: "Phrase") -> dict[str, list[str]]:
    """Each argument's phrases, the description's own preposition first where it names the argument's
    placeholder ("Pay a bill to a company": "to {payee}"; "Find ATMs near a place": "near {near}").
    Enums keep theirs (they qualify the object); a placeholder that fits two arguments ("from a currency"
    for from_currency and to_currency) says neither."""
    phrases = {a: arg_phrases(a, raw[a], kinds[a]) for a in raw}
    for prep, noun in p.placeholders:
        fits = [a for a in raw if kinds[a] not in ("enum", "bool", "list", "object")
                and _stands_for(a, raw[a], kinds[a], noun)]
        if len(fits) != 1 or words_of(fits[0]).split()[0] in PREPOSITIONS + ("source", "target"):
            continue
        s = "{" + fits[0] + "}"
        said = [f"{prep} {s}"] + ([f"around {s}", f"close to {s}"] if prep == "near" else [])
        phrases[fits[0]] = list(dict.fromkeys(said + phrases[fits[0]]))
    # a number that counts the object itself ("Record glasses of water drunk." with `glasses`): said with
    # what the object is of ("3 glasses of water", "one glass of water"), and bare as often
    words = p.obj.split()
    for a in raw:
        unit = unit_of(a, raw[a]) if kinds[a] == "number" else None
        at = next((i for i, w in enumerate(words) if unit and w in unit_forms(unit)), None)
        if at is not None and words[at + 1:at + 2] == ["of"] and len(words) > at + 2:
            phrases[a] = [f"{{{a}}} of {words[at + 2]}", f"{{{a}}}"]
    return phrases


def when_clause(p: "Phrase", raw: dict, kinds: dict) -> str:
    """The description's "when" clause with each placeholder ("in a category", "over a limit") said by
    the one argument it stands for ("in {category}", "over {limit}"); "" when a placeholder fits none."""
    if not p.when:
        return ""
    words, out, i = p.when.split(), [], 0
    while i < len(words):
        if i + 1 < len(words) and words[i] in INDEFINITE + ("the",):
            fits = [a for a in raw if _stands_for(a, raw[a], kinds[a], words[i + 1])]
            if len(fits) == 1:
                out.append("{" + fits[0] + "}")
                i += 2
                continue
            if words[i] in INDEFINITE and words[i + 1] not in ("few", "lot"):
                return ""  # a placeholder no argument says
        out.append(words[i])
        i += 1
    return " ".join(out)


def wh_question(p: "Phrase", raw: dict, kinds: dict, required) -> str:
    """A description's wh-clause as the question people ask, each placeholder said by its argument:
    "how much money is in an account" -> "how much money is in my [{account}] account" (an enum before
    the noun, optional in [...]); "" when it is no wh-clause or a placeholder fits none."""
    if not p.clause.startswith(WH):
        return ""
    words, out, i = p.clause.split(), [], 0
    m = re.fullmatch(r"(where|when) (.+) (is|are|was)", p.clause)
    if m:  # "where an order is" is asked "where is my order 482913?"
        words = [m.group(1), m.group(3)] + m.group(2).split()
    while i < len(words):
        if i + 1 < len(words) and words[i] in INDEFINITE:
            noun = words[i + 1]
            fits = [a for a in raw if _stands_for(a, raw[a], kinds[a], noun)]
            if len(fits) != 1:
                return ""
            slot = "{" + fits[0] + "}"
            if kinds[fits[0]] == "enum":
                out += ["my", slot if fits[0] in required else f"[{slot}]", noun]
            elif kinds[fits[0]] in ("id", "number"):  # an order's number follows its noun: "my order 482913"
                out += ["(my|the)", noun, slot if fits[0] in required else f"[{slot}]"]
            else:
                out.append(slot)
            i += 2
            continue
        out.append(words[i])
        i += 1
    said = " ".join(out)
    return said if all("{" + a + "}" in said for a in required) else ""


# words that name a field as a kind of something: said of no value ("a yoga class type" is the schema's echo)
_KIND_WORDS = {"type", "types", "kind", "kinds", "category", "categories", "level", "mode", "option", "options",
               "preference", "choice", "style", "setting", "variant", "tier"}


def head_noun(schema: dict) -> Optional[str]:
    """The noun a field's description ends on after "of": "Type of food." -> "food", "Size or class
    of the car." -> "car"; None when it has none."""
    m = re.search(r"\bof (?:the |a |an |your |my )?([a-z]+)\W*$", (schema.get("description") or "").lower())
    return m.group(1) if m else None


def _asked_act(description: str) -> Optional[tuple[Optional[str], str]]:
    """What a tool that asks for something to be done asks ("Ask to leave the room later than the usual check-out
    time." -> (None, "leave the room later"); "Ask housekeeping to clean the room or bring something up." ->
    ("housekeeping", "clean the room")): who is asked (None: leave for the user's own act) and the act, up to its
    first "or", "and", "than", comma, subordinate clause or placeholder."""
    first = description.strip().split(". ")[0].rstrip(". ").lower()
    m = re.match(r"(?:ask|request|tell) (?:((?:the )?[a-z]+(?: [a-z]+)?) )?to ([a-z]+(?: [a-z'-]+)*)", first)
    if not m or m.group(1) and set(m.group(1).split()) & set(INDEFINITE + ARTICLES[:2] + PREPOSITIONS):
        return None
    words = m.group(2).split()
    if words[0] in ARTICLES + INDEFINITE:
        return None
    cut = next((i for i in range(1, len(words)) if words[i] in ("or", "and", "than", "if") + SUBORDINATORS
                or words[i] in PREPOSITIONS + PLACE_PREPOSITIONS and i + 1 < len(words) and words[i + 1] in INDEFINITE),
               len(words))
    # "later than the usual check-out time": the comparison's own words go too ("leave the room later")
    return (m.group(1) or None), " ".join(words[:cut])


# the tool that reports something broken or wrong, and how people say it is
PROBLEM_WORDS = ("problem", "issue", "broken", "fault", "faulty", "malfunction", "outage", "breaks", "broke")
SYMPTOMS = ["isn't working", "is broken", "stopped working", "won't work", "is not working", "doesn't work",
            "is acting up", "won't turn on", "keeps cutting out", "is making a weird noise"]
SEND_HELP = ["can someone take a look?", "please send someone", "can you send someone?", "can someone fix it?"]
# the verbs of getting something brought: their object is also asked for as a want ("can i get a burger")
OBTAINING = ("order", "buy", "get", "request", "bring", "send up", "deliver")


def _broken_arg(spec, raw: dict, kinds: dict, required: list) -> Optional[tuple[str, bool]]:
    """The argument that says what a problem-reporting tool's problem is (a tool whose name or description says
    a problem, an issue, something broken...), and whether it names the thing that is broken ("What the problem
    is with.", "The device that has the problem.") rather than what went wrong ("What help is needed."). Only a
    required choice: its values are short words a symptom frame can say ("the {wifi} isn't working")."""
    said = f"{words_of(spec.name)} {(spec.description or '').lower()}"
    if not any(re.search(rf"\b{w}\b", said) for w in PROBLEM_WORDS):
        return None
    for a in required:
        if kinds[a] != "enum":
            continue
        desc = (raw[a].get("description") or "").lower()
        if re.search(r"\b(problem|issue|fault|wrong|broken)\b.*\bwith\b", desc) or re.search(
                r"\b(device|appliance|equipment|thing|part)\b", desc):
            return a, True
        if re.search(r"\b(problem|issue|fault|wrong|help)\b", f"{words_of(a)} {desc}"):
            return a, False
    return None


def _arg_text(arg: str, phrases: list[str], optional: bool) -> str:
    alt = _alt(phrases)
    return f"[{alt}]" if optional else alt


MAX_ORDERS = 8


def arg_orders(name: str, args: list[str]) -> list[list[str]]:
    """Up to MAX_ORDERS orders in which a request says `args`: the schema's, its reverse, then others
    in a fixed shuffled order (seeded by the tool's name, so the draft is the same every time)."""
    import itertools
    import random

    rest = [list(o) for o in itertools.islice(itertools.permutations(args), 5040)]
    random.Random(name).shuffle(rest)
    orders: list[list[str]] = []
    for order in [list(args), list(args[::-1])] + rest:
        if order not in orders:
            orders.append(order)
        if len(orders) >= MAX_ORDERS:
            break
    return orders


def tool_templates(spec, learned: bool = True) -> list[str]:
    """Natural request templates of a tool (no bank): frames x argument orders, optional args in [...];
    then (`learned`) those learned from the tool's example requests (`learned_templates`)."""
    raw = raw_properties(spec)
    p = Phrase(spec)
    kinds = {a: arg_kind(a, s) for a, s in raw.items()}
    required = [a for a in raw if a in spec.required]
    optional = [a for a in raw if a not in spec.required]
    # the first enum argument may sit before the object's noun ("a luxury taxi", "thai restaurants")
    # (not one said with a preposition: "into {target_language}" qualifies no object)
    qualities = [a for a in required + optional if kinds[a] == "enum" and not any(
        ph.split()[0] in PREPOSITIONS for ph in arg_phrases(a, raw[a], kinds[a]))]
    adjective = next(iter(qualities), None)
    # and a second enum before it, as people stack them ("cheap thai restaurants"): the optional one
    # outside (it qualifies the rest), in every other frame that has the first
    outer = next((a for a in qualities if a != adjective), None)
    if outer and outer in spec.required and adjective not in spec.required:
        adjective, outer = outer, adjective
    adj_head = head_noun(raw[adjective]) if adjective else None  # "thai food", "a luxury car"
    if adj_head and adj_head in p.noun.split():
        adj_head = None
    phrases = tool_phrases(spec, raw, kinds, p)
    verbs = _alt(p.verbs)

    def args_text(order: list[str], *skip: Optional[str]) -> str:
        return " ".join(_arg_text(a, phrases[a], a not in spec.required) for a in order if a not in skip)

    orders = arg_orders(spec.name, required + optional)
    # an object that a number argument says ("convert an amount of money" with `amount`): the request
    # says the value where the object would be, so the verb frames go without it and {N} frames are off
    obj_words = set(p.obj.split()) - set(ARTICLES) - set(PREPOSITIONS)
    said_object = any(set(words_of(a).split()) & obj_words for a in required if kinds[a] == "number")
    # money as the object ("Send money to a person" with an amount in dollars): "send $50 to Anna"
    money = _money(required, raw, kinds)
    said_object = said_object or bool(money and obj_words & set(MONEY_NOUNS))
    frames = [] if said_object else list(_VERB_FRAMES) + [
        "{N} {A}", "{N} {A} please", "i need {N} {A}", "i'd like {N} {A}", "{N} {A}?", "can i get {N} {A}?",
        "i want {N} {A}"]
    # frames without the object, for verbs people say that way; every verb frame when an argument is it
    bare_verbs = list(p.verbs) if said_object else [v for v in p.verbs if v in OBJECTLESS]
    objectless = list(_VERB_FRAMES if said_object else _VERB_FRAMES[:4]) if bare_verbs else []
    # the object that a text argument says: a placeholder ("Add an item to the shopping list" with
    # `item`, "Translate a piece of text" with `text`) or what the argument's description says the
    # verb acts on ("Song, artist or playlist to play."): "add milk to the shopping list", "play Daft Punk"
    head = [w for w in p.obj.split() if w not in ARTICLES][:1]
    acted = "|".join(re.escape(v) for v in p.verbs)
    acts_on = next((a for a in required if kinds[a] not in ("enum", "number", "bool", "list", "object") and (
        head and head[0] in PLACEHOLDERS and (set(words_of(a).split()) & set(p.obj.split()) or head[0] == "piece")
        # the object's noun names the argument ("Add a product to the cart" with `product`)
        or head and p.obj.split()[0] in ("a", "an") and kinds[a] not in ("message", "person", "email", "phone", "id")
        and _stands_for(a, raw[a], kinds[a], head[0])
        or kinds[a] not in ("message", "person", "email", "phone")  # "The message to send.": said after "saying"
        and re.search(r"\bto (?:" + acted + r")\b", (raw[a].get("description") or "").lower())
        # a title of the very thing the verb acts on ("Rate a movie ..." with "Title of the movie."): the
        # title names it ("rate Oppenheimer 5 stars", "add Dune to the watchlist")
        or kinds[a] == "title" and head and re.match(r"(?:title|name) of (?:the |a |an )?" + re.escape(head[0]) + r"\b",
                                                     (raw[a].get("description") or "").lower())
        # what the very thing acted on is ("Order a new phone" with "Make and model of the phone."): the value
        # names it ("order an iPhone 16 Pro", "order the new Pixel 9"), never "order a phone for Pixel 9"
        or kinds[a] in ("text", "label", "product") and _singular(_of_what(raw[a])) in {
            _singular(w) for w in p.obj.split() + p.noun.split()} - set(ARTICLES)
        # the name of the very one looked for ("Look up a colleague ..." with "The colleague's name."): the name
        # says who ("look up Priya Shah in the company directory", "find Tom")
        or kinds[a] == "person" and head and re.search(r"\b(?:" + re.escape(head[0]) + r"['’]s (?:full |first |last )?name"
                                                       r"|name of (?:the |a |an )?" + re.escape(head[0]) + r")\b",
                                                       (raw[a].get("description") or "").lower()))), None)
    if acts_on and not said_object:
        parts = p.obj.split() + (p.tail.split() if kinds[acts_on] == "title" else [])
        cut = next((i for i, w in enumerate(parts) if i and w in PREPOSITIONS and not (
            w == "of" and i == 2 and parts[1] in PLACEHOLDERS)), len(parts))
        tail = " ".join(parts[cut:])  # "to the shopping list", "on the speaker"
        count = next((a for a in optional + required if kinds[a] == "number" and words_of(a).split()[-1]
                      in ("quantity", "count", "number")), None)
        lead = f"[{{{count}}}] " if count and count in optional else f"{{{count}}} " if count else ""
        rest = args_text([a for a in required + optional if a not in (acts_on, count)])
        said = f"{lead}{{{acts_on}}}"
        # ("Search the store for products": "for products" names the object, no place to say)
        tails = [tail, f"[{tail}]"] if tail and tail.split()[0] not in ("of", "for") else [""]
        if p.owned and re.match(r"\w+ the ", tails[0]):  # "to the watchlist": "to my watchlist" too
            mine = re.sub(r"^(\w+) the ", r"\1 (the|my) ", tail)
            tails = [mine, f"[{mine}]"]
        # these replace the frames that say the placeholder object ("add an item to the shopping list for milk")
        frames = [f for f in frames if "{V}" not in f and "{N}" not in f]
        for t in tails:
            frames += [f.replace("{V} {A}", " ".join(f"{_alt(p.verbs)} {said} {t} {rest}".split()))
                       for f in _VERB_FRAMES]
            # the thing said first and then acted on ("Parasite, add it to my watchlist"), and named with
            # its own noun ("add the movie Parasite to the watchlist", "log a meal: pad thai")
            it = _it(p.verbs)
            frames += [" ".join(f.split()) for f in (f"{said} {rest}, {it} {t}", f"{said} {rest} - {it} {t}",
                                                    f"{said} {rest}, can you {it} {t}?")]
            named = head[0] if head[0] not in PLACEHOLDERS else p.noun
            # (not the argument's own name: "text: {text}" is the schema's echo)
            if named and not set(named.split()) & set(words_of(acts_on).split()):
                frames += [" ".join(f.split()) for f in (f"{verbs} the {named} {said} {t} {rest}",
                                                        f"{named}: {said} {rest}")]
        if p.verb in OBTAINING:  # what is ordered, asked for as a want: "can i get a cheeseburger", "i'll have ..."
            frames += [" ".join(f.format(f"{said} {rest}").split()) for f in (
                "can i get {}?", "could i get {}?", "i'll have {}", "i'd like {}", "{} please", "can i have {}?")]
        if p.verb in ("search", "search for", "find", "look for", "look up"):  # a search is asked as a want
            frames += [" ".join(f.format(f"{said} {rest}").split()) for f in (
                "i'm looking for {}", "do you have {}?", "got any {}?", "i want {}", "show me {}")]
    # the thing said first, then acted on: "my debit card was stolen, freeze it", "order 105577 - track it"
    # (not for information asked for: "the weather in Oslo, get it" is no request)
    if frames and not acts_on and not p.asking and p.verb not in SEARCHING and p.noun:
        frames += ["{N} {A}, {it}", "{N} {A} - {it}", "{N} {A}, can you {it}?", "{N} {A}, please {it}"]
    # what a tool asks someone to do, said as that act: "Ask to leave the room later than ..." as "can i leave the
    # room later at 2?", "Ask housekeeping to clean the room" as "can someone clean the room at 9?", "get
    # housekeeping to clean the room" (the description's own verb "ask" is no word people use for it)
    if p.asked:
        who, act = p.asked
        act = _lit(act)
        if who is None:  # the user's own act, asked leave for
            frames += [f"can (i|we) {act} {{A}}?", f"could (i|we) {act} {{A}}?", f"is it possible to {act} {{A}}?",
                       f"(i'd|we'd) like to {act} {{A}}", f"i want to {act} {{A}}", f"(i|we) need to {act} {{A}}"]
        else:  # someone else's: "have housekeeping clean the room"
            frames += [f"{act} {{A}}", f"please {act} {{A}}", f"can (you|someone|{who}) {act} {{A}}?",
                       f"(get|i need) {who} to {act} {{A}}", f"have {who} {act} {{A}}", f"could someone {act} {{A}}?"]
    # a problem said as people report it, by what is wrong ("the wifi keeps dropping", "there's a problem with
    # the heating"), not as the report ("tell the front desk ... with the wifi"): read off hotel_stay, whose router
    # answered no_tool to "the AC in my room isn't working" and "TV won't turn on"
    broken = _broken_arg(spec, raw, kinds, required)
    if broken:
        arg, thing = broken
        rest = args_text([a for a in required + optional if a != arg])
        x = "{" + arg + "}"
        if thing:  # a thing that is broken: "the {tv} won't turn on"
            the = "(the|my)"
            frames += [f"{the} {x} {_alt(SYMPTOMS)} {rest}", f"{x} {_alt(SYMPTOMS[:4])} {rest}",
                       f"there's {_alt(['a problem', 'an issue', 'something wrong'])} with {the} {x} {rest}",
                       f"something's wrong with {the} {x} {rest}", f"{x} not working {rest}",
                       f"{the} {x} {_alt(SYMPTOMS)} {rest}, {_alt(SEND_HELP)}",
                       f"{x} is broken {rest}, {_alt(SEND_HELP)}"]
        else:  # what went wrong: "flat tire, can you send someone?"
            frames += [f"{x} {rest}, {_alt(SEND_HELP)}", f"(help|need help|please help), {x} {rest}",
                       f"i've got {x} {rest}", f"{x} {rest}, need help"]
    # who gets the money, said before it ("send Anna $50", "pay Geico $210"), and a company that names
    # the object's kind ("pay the Comcast bill")
    payee = next((a for a in required if kinds[a] in ("person", "company")), None)
    if money and payee and (said_object or p.verb in OBJECTLESS):
        rest = args_text([a for a in required + optional if a not in (money, payee)])
        said = _alt(p.verbs + (["give", "wire"] if said_object and kinds[payee] == "person" else []))
        frames += [f"{said} {{{payee}}} {{{money}}} {rest}", f"please {said} {{{payee}}} {{{money}}} {rest}",
                   f"can you {said} {{{payee}}} {{{money}}} {rest}?"]
    company = next((a for a in required if kinds[a] == "company"), None)
    if company and p.noun and not said_object:
        rest = args_text([a for a in required + optional if a != company])
        named = f"{verbs} (the|my) {{{company}}} {p.noun} {rest}"
        frames += [named, f"please {named}", f"i need to {named}"]
    # the description's "when" clause, its placeholders said by their arguments: "alert me when monthly
    # spending in groceries goes over $400"
    when = when_clause(p, raw, kinds)
    if when and all(re.search(r"\{" + a + r"\}", when) for a in required):
        said_when = when.replace("when ", "(when|if) ", 1)
        frames += [f"{verbs} {_alt(p.objects())} {said_when}", f"please {verbs} {_alt(p.objects())} {said_when}",
                   f"i want {_alt(p.objects())} {said_when}"]
        noun_last = _singular(p.noun.split()[-1]) if p.noun else ""
        frames += [f"{v} {said_when}" for v in NOUN_VERBS.get(noun_last, [])]
    else:
        when = ""
    person = next((a for a in required if kinds[a] == "person"), None)
    message = next((a for a in required if kinds[a] == "message"), None)
    if person and message:  # a messaging tool: "tell Sam ...", "let Sam know ..."
        rest = args_text([a for a in required + optional if a not in (person, message)])
        frames += [f"tell {{{person}}} {{{message}}} {rest}", f"let {{{person}}} know {{{message}}} {rest}",
                   f"message {{{person}}} {{{message}}} {rest}"]
    # a length said before the noun: "set a 25-minute timer", "10 min timer please", and an optional one
    # too, in these frames ("a 30 minute sync on Friday at 4")
    counted = next((a for a in required + optional if kinds[a] == "number" and unit_of(a, raw[a]) in _ADJ_UNITS
                    and not _lead_time(a, raw[a])), None)  # a reminder's lead time is no length of the event
    if counted and p.noun:
        rest = args_text([a for a in required + optional if a != counted])
        slot = "{" + counted + ":adj}"
        frames += [f"{verbs} a {slot} {p.noun} {rest}", f"{slot} {p.noun} {rest}", f"a {slot} {p.noun} {rest} please",
                   f"can you {verbs} a {slot} {p.noun} {rest}?"]
    # verbs made of the tool's noun: "remind me ...", "text mom ..."; a message's verb only where the tool
    # has someone to send it to ("translate_text" is no texting)
    noun = _singular(p.noun.split()[-1]) if p.noun else ""
    if (noun not in _SENT or any(kinds[a] in ("person", "email", "phone") for a in required)) and not when:
        for said in NOUN_VERBS.get(noun, []):  # (an alert's verbs say its "when" clause above)
            frames += [f"{said} {{A}}", f"please {said} {{A}}", f"can you {said} {{A}}?", f"{said} {{A}} please"]
    m = re.match(r"(?:whether|if) (?:(?:a|an|the|my) )?(\w+) (is|are|has|was) (.+)", p.clause)
    if m and len(required) == 1:  # "Check whether a flight is on time" -> "is BA284 on time?"
        noun, be, rest = m.groups()
        rest = _alt([rest] + OPPOSITES.get(rest, []))  # a yes/no question: "is BA284 delayed?" asks it too
        slot = "{" + required[0] + "}"
        frames += [f"{be} {slot} {rest}?", f"{be} my {noun} {slot} {rest}?", f"{be} {noun} {slot} {rest}?",
                   f"can you check if {noun} {slot} {be} {rest}?", f"{noun} {slot} - {be} it {rest}?"]
    # "Check whether I need a visa to visit a country": the user's own yes/no question, "do i need a visa to
    # visit {destination}?", "do i need a visa for {destination}?", its placeholder said by the argument
    mine = re.match(r"(?:whether|if) i (\w+) (.+)", p.clause)
    holder = re.search(r"\b(a|an|some|any) (\w+)\b(?!.*\b(?:a|an|some|any) \w+\b)", mine.group(2)) if mine else None
    fits = [a for a in required + optional if holder and kinds[a] not in ("enum", "bool", "list", "object")
            and _stands_for(a, raw[a], kinds[a], holder.group(2))] if holder else []
    fits = [a for a in fits if a in spec.required] if len(fits) > 1 else fits
    if mine and len(fits) == 1 and not [a for a in required if a != fits[0]]:
        verb_i, rest = mine.groups()
        slot = "{" + fits[0] + "}"
        said = rest[:holder.start()] + slot + rest[holder.end():]
        lead = re.split(r" (?:to|for|in|on|at|from|with) ", rest[:holder.start()] + " ")[0].strip()
        short = f"{lead} {_alt(phrases[fits[0]])}" if lead and lead != rest[:holder.start()].strip() else said
        others = args_text([a for a in required + optional if a != fits[0]])
        for q in dict.fromkeys([said, short]):
            frames += [f"do i {verb_i} {q} {others}?", f"{verbs} if i {verb_i} {q} {others}",
                       f"would i {verb_i} {q} {others}?", f"i want to know if i {verb_i} {q} {others}"]
    question = wh_question(p, raw, kinds, spec.required)
    if question:  # "Check how much money is in an account": "how much money is in my savings account?"
        frames += [f"{question}?", f"can you tell me {question}?", f"{verbs} {question}", f"i want to know {question}"]
    if p.asking:
        frames += ["what's {N} {A}?", "i want to know {N} {A}", "tell me {N} {A}", "how's {N} {A}?",
                   "any {n} {A}?", "show me {N} {A}"]
    # money: "convert 100 USD to EUR", "100 USD in EUR?": the source currency said bare after the amount
    amount = next((a for a in required if kinds[a] == "number" and words_of(a).split()[-1] in AMOUNTS), None)
    source = next((a for a in required if kinds[a] == "currency" and words_of(a).split()[0] in ("from", "source")),
                  None)
    if amount and source:
        rest = args_text([a for a in required + optional if a not in (amount, source)])
        money, said = f"{{{amount}}} {{{source}}}", _alt(bare_verbs or p.verbs)
        frames += [f"{said} {money} {rest}", f"please {said} {money} {rest}", f"{money} {rest}", f"{money} {rest}?",
                   f"how much is {money} {rest}?", f"what's {money} {rest}?", f"can you {said} {money} {rest}?"]
    # a terse list, as people fill in a form: "new expense, 15 bucks, meals, Pret", "Montreal hotels, 1 night,
    # January 22, 2027", "keyboard: several keys are sticking": the values bare, after the thing's noun
    listed = [a for a in required + optional if kinds[a] not in ("list", "object", "bool", "message", "task")]
    if p.noun and not said_object and len(required) >= 2 and set(required) <= set(listed):
        free = ("summary", "title", "text", "label", "query")
        ordered = [a for a in listed if kinds[a] not in free] + [a for a in listed if kinds[a] in free]
        # (three frames in all: a tool has 20-60 templates, and a list is one way of asking among many)
        for order, shapes in ((ordered, (f"{p.noun}: {{}}", f"{verbs} {_alt(p.objects())}: {{}}")),
                              (ordered[1:] + ordered[:1], (f"{p.noun}, {{}}",))):
            said = "".join(("{" + a + "}" if i == 0 else ", {" + a + "}") if a in spec.required
                           else ("[{" + a + "}]" if i == 0 else "[, {" + a + "}]") for i, a in enumerate(order))
            if said.startswith("{"):  # (an optional value may not open the list)
                frames += [shape.format(said) for shape in shapes]
    # a title may stand where the object would ("schedule the budget review on Monday at 10"); a
    # subject line names what the thing is about, not the thing
    title = next((a for a in required if kinds[a] == "title" and "subject" not in words_of(a)), None)
    out = []
    # two orders per frame, taken in turn from the list: every order is said, not just the schema's and
    # its reverse, so the router finds an argument by its phrase ("at {restaurant}"), not by its place
    for k in range(min(2, len(orders))):
        for j, frame in enumerate(frames):
            order = orders[(2 * j + k) % len(orders)]
            # the enum goes before the object's noun, so only in frames that name the object
            use_adj = adjective if adjective and (j + k) % 2 == 0 and re.search(r"\{[VNn]\}", frame) else None
            use_outer = outer if use_adj and outer and (j // 2) % 2 == 0 else None
            adj_slot = ""
            if use_adj:
                adj_slot = " ".join("{" + a + "}" if a in spec.required else "[{" + a + "}]"
                                    for a in (use_outer, use_adj) if a)
            objects = p.objects(adj_slot)
            if use_adj and adj_head:  # the enum's own noun may name the object
                objects = objects + [f"a {adj_slot} {adj_head}" if p.article in ("a", "an") else f"{adj_slot} {adj_head}"]
            bare = list(dict.fromkeys(" ".join(o.split()[1:]) if o.split()[0] in ARTICLES + ("my",) else o
                                      for o in objects))
            # a required enum that names the kind of thing asked for may stand for it alone, as people
            # drop the noun ("cheap chinese in Toronto", "thai in Lisbon")
            alone = [adj_slot] if use_adj in spec.required and adj_head else []
            # ("i need my dog walk" is no request; "my debit card was stolen, freeze it" is)
            named = objects if "{it}" in frame else [o for o in objects if not o.startswith("my ")]
            nouns = _alt(named + bare + alone) if frame.startswith("{N}") else _alt(named + alone)
            text = (frame.replace("{V}", f"{verbs} {_alt(objects)}").replace("{N}", nouns).replace("{it}", _it(p.verbs))
                    .replace("{n}", f"{adj_slot} {p.noun or p.obj}").replace("{A}", args_text(order, use_adj, use_outer)))
            out.append(" ".join(text.split()))
        for j, frame in enumerate(objectless):  # enums by their own phrases here: no object to qualify
            order = orders[(2 * j + k + 1) % len(orders)]
            said = args_text(order)
            if title and j % 2 == 0:
                said = f"{_alt(['{' + title + '}', 'the {' + title + '}'])} {args_text(order, title)}"
            out.append(" ".join(frame.replace("{V}", _alt(bare_verbs)).replace("{A}", said).split()))
    # a drafted call says every required argument: a frame that lost one (an enum kept for an object the
    # frame does not name) would stop the build with a target that does not verify
    slots = [re.compile(r"\{" + re.escape(a) + r"[:}]") for a in required]
    complete = [t for t in dict.fromkeys(out) if all(slot.search(t) for slot in slots)]
    return complete + (learned_templates(spec, raw, kinds, phrases) if learned else [])


# ---------------------------------------------------------------------------------------------
# templates learned from a tool's example requests

def _surfaces(arg: str, schema: dict, kind: str, value: Any = None) -> list[str]:
    """Every surface form a value of this argument may take in an example (longest first)."""
    if value is not None:
        if kind == "time" and isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value):
            return sorted(say_time(value), key=len, reverse=True)
        if kind == "date" and isinstance(value, str):
            try:
                return sorted(say_date(value), key=len, reverse=True)
            except ValueError:
                pass
        if kind == "number" and isinstance(value, (int, float)):
            return sorted(say_number(value, unit_of(arg, schema)) + [str(value)], key=len, reverse=True)
        if kind == "enum":  # every word the data says it with (declared or common synonyms: "on foot")
            said = enum_forms(schema["enum"], schema.get("synonyms")).get(value) if value in schema.get("enum", []) \
                else None
            return sorted(set(said or enum_words(value, schema.get("synonyms"))), key=len, reverse=True)
        return [str(value)]
    forms: list[str] = []
    if kind == "enum":
        for said in enum_forms(schema["enum"], schema.get("synonyms")).values():
            forms += said
    for e in schema.get("examples", []):
        if isinstance(e, (str, int, float)) and not isinstance(e, bool):
            forms += _surfaces(arg, schema, kind, e)
    return sorted(set(forms), key=len, reverse=True)


def _find(text: str, forms: list[str], taken: list[tuple[int, int]]) -> Optional[tuple[int, int]]:
    low = text.lower()
    for form in forms:
        if not form:
            continue
        for m in re.finditer(r"(?<![\w])" + re.escape(form.lower()) + r"(?![\w])", low):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                return m.start(), m.end()
    return None


def learned_templates(spec, raw: dict, kinds: dict, phrases: Optional[dict] = None) -> list[str]:
    """Templates from a tool's example requests: each argument value found in the example becomes
    its slot (an optional one in [...]); an example whose required values cannot all be found is skipped."""
    phrases = phrases or {a: arg_phrases(a, raw[a], kinds[a]) for a in raw}
    out = []
    for ex in tool_examples(spec):
        if isinstance(ex, dict) and isinstance(ex.get("request"), str):
            text, known = ex["request"], ex.get("arguments") or {}
        elif isinstance(ex, str):
            text, known = ex, {}
        else:
            continue
        text = _lit(text)
        spans: dict[str, tuple[int, int]] = {}
        taken: list[tuple[int, int]] = []
        for arg in sorted(raw, key=lambda a: kinds[a] in ("message", "task", "text", "summary")):  # free text last
            schema, kind = raw[arg], kinds[arg]
            span = None
            if arg in known:
                span = _find(text, _surfaces(arg, schema, kind, known[arg]), taken)
            elif schema.get("pattern") and schema.get("type") == "string":
                core = schema["pattern"].lstrip("^").rstrip("$")
                m = next((m for m in re.finditer(core, text) if all(m.end() <= a or m.start() >= b for a, b in taken)),
                         None)
                span = (m.start(), m.end()) if m else None
            else:
                span = _find(text, _surfaces(arg, schema, kind), taken)
            if span is None and kind in _SHAPES:  # a date or time not in the value table
                m = next((m for m in re.finditer(_SHAPES[kind], text, re.I)
                          if all(m.end() <= a or m.start() >= b for a, b in taken)), None)
                span = (m.start(), m.end()) if m else None
                unit = unit_of(arg, schema) if kind == "number" else None
                if span and unit:  # "3 days": the unit belongs to the value's surface
                    u = re.match(r"\s*(?:" + "|".join(map(re.escape, unit_forms(unit))) + r")\b", text[span[1]:], re.I)
                    span = (span[0], span[1] + u.end()) if u else span
            if span is None and kind in ("city", "place", "place_to", "place_from", "person", "restaurant",
                                         "label", "country", "company"):
                # a place or name after its preposition: "in Lisbon", "from the Ritz", "to 5 Elm Road"
                value = r"((?:[A-Z][\w'.-]*)(?: [A-Z][\w'.-]*)*)" if kind in ("city", "label", "country") else \
                    r"((?:the |my |a )?[\w'.&-]+(?: [\w'.&-]+)*?)(?=(?: (?:to|from|in|at|for|on|with|and|please)\b)|[,.?!]|$)"
                for phrase in phrases[arg]:
                    prep = phrase.split("{")[0].strip()
                    if not prep:
                        continue
                    m = re.search(r"\b" + re.escape(prep) + " " + value, text)
                    if m and all(m.end(1) <= a or m.start(1) >= b for a, b in taken):
                        span = (m.start(1), m.end(1))
                        break
            # free text is the rest ("my monitor keeps flickering": the device found, the problem is what follows)
            if span is None and kind in ("message", "task", "text", "summary") and taken:
                end = max(b for _, b in taken)
                tail = text[end:].strip(" :,")
                # the words that lead the text in stay in the template ("... for pizza": "for {note}")
                lead = re.match(r"(?:for|to|saying|that says|about|with the (?:note|message)|note:?|message:?)\s+",
                                tail)
                tail = tail[lead.end():] if lead else tail
                if tail:
                    start = text.index(tail, end)
                    span = (start, start + len(tail))
            if span:
                spans[arg] = span
                taken.append(span)
        if any(a not in spans for a in spec.required):
            continue
        pieces, pos = [], 0
        for arg, (a, b) in sorted(spans.items(), key=lambda kv: kv[1][0]):
            slot = "{" + arg + "}"
            if arg in spec.required:
                pieces += [text[pos:a], slot]
            else:  # an optional value takes its preposition with it: "[in the next {days}]"
                m = _LEAD.search(text[pos:a])
                if m:
                    pieces += [text[pos:pos + m.start()], f"[{text[pos + m.start():a]}{slot}]"]
                else:  # no preposition to drop with it ("i need a big car"): always said, as in the example
                    pieces += [text[pos:a], slot]
            pos = b
        pieces.append(text[pos:])
        template = "".join(pieces).strip()
        if template[:1].isupper() and not template.startswith("{"):
            template = template[:1].lower() + template[1:]
        out.append(template)
    return out


# ---------------------------------------------------------------------------------------------
# negatives from the schema

def missing_groups(spec) -> list[dict]:
    """Asks for the tool that leave out a required argument: one group per required argument when
    there are several, and one with none of them said."""
    if not spec.required:
        return []
    raw = raw_properties(spec)
    p = Phrase(spec)
    kinds = {a: arg_kind(a, s) for a, s in raw.items()}
    verbs = _alt(p.verbs)
    objects = _alt(p.objects())
    bare = ["please {V}", "{V}", "can you {V}?", "i want to {V}", "i need to {V}", "{V} for me", "i'd like {O}",
            "{O} please", "i need {O}"]
    groups = [{"args": list(spec.required),
               "templates": [t.replace("{V}", f"{verbs} {objects}").replace("{O}", objects) for t in bare]}]
    # money said as the object ("send $50 to Anna"): the asks that leave an argument out say it so too
    # ("send 100 dollars", "send to Anna"), not "send money 100 dollars"
    if _money(spec.required, raw, kinds) and set(p.obj.split()) & set(MONEY_NOUNS):
        objects = ""
    phrases = tool_phrases(spec, raw, kinds, p)  # as the calls say them: "pay a bill to {payee}"
    if len(spec.required) > 1:
        for miss in spec.required:
            said = [a for a in spec.required if a != miss]
            rest, back = (" ".join(_alt(phrases[a]) for a in order) for order in (said, said[::-1]))
            groups.append({"args": [miss], "templates": list(dict.fromkeys([
                f"{verbs} {objects} {rest}", f"please {verbs} {objects} {back}", f"can you {verbs} {objects} {rest}?",
                f"i want to {verbs} {objects} {back}"]))})
    return groups


_KIN = [{"cancel", "delete", "remove"}, {"change", "edit", "update", "rename", "reschedule", "move"}]
# the action that undoes a tool's verb: "unfreeze my debit card", "remove milk from the shopping list"
UNDOING = {"freeze": "unfreeze", "lock": "unlock", "block": "unblock", "mute": "unmute", "follow": "unfollow",
           "subscribe": "unsubscribe", "pin": "unpin", "archive": "unarchive", "hide": "unhide", "add": "remove",
           "turn on": "turn off", "switch on": "switch off", "start": "stop", "enable": "disable",
           "install": "uninstall", "connect": "disconnect", "join": "leave", "accept": "decline", "like": "unlike"}


def _catalogue_words(catalogue) -> str:
    """Every tool's name, description and verb synonyms, lower-cased: what the catalogue says it does."""
    return " ".join(f"{words_of(t.name)} {t.description} {' '.join(Phrase(t).verbs)}".lower() for t in catalogue)


def _near_verbs(said: str) -> list[str]:
    """Actions no tool does: a verb (or a near synonym of one) that the catalogue's words (`said`,
    _catalogue_words) use never makes a near-miss."""
    used = {v for v in NEAR_MISS_VERBS + sorted(set().union(*_KIN)) if re.search(r"\b" + v, said)}
    for kin in _KIN:
        if used & kin:
            used |= kin
    return [v for v in NEAR_MISS_VERBS if v not in used]


GREETINGS = [
    ("greeting", ["hi(!|)", "hello(!| there|)", "hey(!| there|)", "good (morning|afternoon|evening)(!|)",
                  "hiya", "yo", "hello, anyone there?", "hey assistant"]),
    ("thanks", ["thanks(!|)", "thank you(!| so much| very much)", "thanks, that's all", "cheers", "great, thanks",
                "perfect, thank you", "ok thanks", "that's all for now, thanks"]),
    ("chit-chat", ["how are you(?| today?| doing?)", "what's your name?", "are you a robot?", "you're (great|awesome)",
                   "bye(!| for now)", "good night", "do you like (music|movies|your job)?", "i'm bored",
                   "ok cool", "never mind", "lol", "nice"]),
]
CAPABILITY = [("question: capabilities", ["what can you (do|help me with)?", "which tools do you have?",
                                          "what are you able to do?", "how does this work?", "help",
                                          "what kind of things can i ask you?"])]
# out-of-scope asks; a group is dropped when one of its cover words is in the catalogue
OUT_OF_SCOPE = [
    ("weather", ["what's the weather like (today|tomorrow)?", "will it rain this weekend?", "is it cold outside?"],
     ("weather", "forecast", "rain")),
    ("joke", ["tell me a joke", "(know|got) any good jokes?", "make me laugh"], ("joke",)),
    ("math", ["what's (12|17|23) times (3|4|8)?", "what is the square root of (81|144)?", "how much is 15% of 80?"],
     ("calculat", "math")),
    ("poem", ["write me a poem about (the sea|autumn|cats)", "compose a haiku about (rain|mountains)"],
     ("poem", "write")),
    ("trivia", ["who (wrote|painted) the mona lisa?", "what's the capital of (peru|canada|kenya|australia)?",
                "how tall is mount everest?", "when did the first moon landing happen?"], ("trivia", "fact", "wiki")),
    ("music", ["play some (jazz|music|rock)", "put on my playlist", "skip this song"], ("music", "song", "play")),
    ("news", ["what's in the news today?", "any headlines this morning?"], ("news", "headline")),
    ("stocks", ["how's the stock market doing?", "what's apple's share price?"], ("stock", "share", "market")),
    ("translation", ["how do you say thank you in (french|japanese)?", "translate hello into spanish"],
     ("translat", "language")),
    ("recipes", ["how do i make pancakes?", "give me a recipe for lasagna"], ("recipe", "cook")),
    ("sports", ["who won the game last night?", "what's the score of the match?"], ("score", "match", "sport")),
    ("shopping", ["order me a pizza", "buy (new headphones|a phone charger) online"],
     ("order", "buy", "shop", "pizza", "product")),
    ("advice", ["should i learn python or javascript?", "what's a good name for a dog?", "how do i fall asleep faster?"],
     ("advice",)),
]


def negative_groups(catalogue) -> dict[str, list[dict]]:
    """The generic negatives of a catalogue, as bank groups: greeting (greetings, thanks, chit-chat),
    domain_question (what can you do), out_of_scope (topics no tool covers) and near_miss (a tool's
    object with an action no tool does)."""
    topics = " ".join(f"{words_of(t.name)} {t.description} {' '.join(words_of(a) for a in t.properties)}"
                      for t in catalogue).lower()
    groups: dict[str, list[dict]] = {
        "greeting": [{"reason": r, "templates": t} for r, t in GREETINGS],
        "domain_question": [{"reason": r, "templates": t} for r, t in CAPABILITY],
        "out_of_scope": [{"reason": f"out of scope: {r}", "templates": t} for r, t, covers in OUT_OF_SCOPE
                         if not any(re.search(r"\b" + c, topics) for c in covers)],
        "near_miss": [],
    }
    said = _catalogue_words(catalogue)
    verbs = _near_verbs(said)
    for tool in catalogue:
        p = Phrase(tool)
        noun = " ".join(_singular(w) for w in p.noun.split()) if p.noun else ""
        if not noun:
            continue
        # questions about the tool's thing that no tool answers ("what's the policy on refunds?", "how long does
        # a return take?"): its words in a request are no sign of a call; the way it is asked is
        nouns = " ".join(noun.split()[:-1] + [plural(noun.split()[-1])])
        # (none, nor any near-miss, where the thing is information the tool gives: "what are the rules for visa
        # requirements?" is what check_visa_requirements answers, and "change my visa requirement" no request)
        # (nor where the thing is one the tool searches for: "where's the nearest gas station?" asks find_gas_station,
        # and auto_care's router, trained on "what are the rules for gas stations?" as no_tool, said no_tool to it)
        if noun.split()[-1] in INFO_NOUNS or p.verb in SEARCHING:
            continue
        # (a price is what a quote or estimate tool gives: "how much does a repair quote usually cost?" is no negative
        # beside "rough price for new brake pads?")
        priced = re.search(r"\b(price|cost|quote|estimate|fee)s?\b",
                           f"{words_of(tool.name)} {tool.description or ''}".lower())
        groups["domain_question"].append({"reason": f"question no tool answers: {noun}", "templates": [
            f"what's the policy on {nouns}?", *([] if priced else [f"how much does a {noun} usually cost?"]),
            f"how long does a {noun} take?",
            f"what are the rules for {nouns}?", f"who (handles|is in charge of) {nouns} here?",
            f"is there a limit on {nouns}?", f"why is my {noun} taking so long?", f"when is the {noun} deadline?",
            f"can you explain how {nouns} work?", f"what('s| is) a {noun} anyway?"]})
        undo = next((UNDOING[v] for v in [p.verb] + p.verbs if v in UNDOING and not re.search(
            r"\b" + UNDOING[v] + r"\b", said)), None)
        raw = raw_properties(tool)
        if undo:  # the tool's own object, qualified as its requests qualify it ("my debit card")
            adj = next((a for a in raw if "enum" in raw[a] and a in tool.required), None)
            values = [enum_words(v, raw[adj].get("synonyms"))[0] for v in raw[adj]["enum"][:3]] if adj else []
            obj = p.obj.replace(" to the ", " from the ").replace(" to my ", " from my ") if p.obj else f"the {noun}"
            # the closest near-miss there is, so said in as many ways as a call ("unfreeze my debit card")
            frames = ["{}", "please {}", "can you {}?", "i want to {}", "i need to {}", "{} now"]
            # and with the field's own example values where the tool says what it acts on ("remove yoga mat
            # from the shopping cart")
            examples = [e for a in tool.required if raw[a].get("type") == "string" and "enum" not in raw[a]
                        for e in raw[a].get("examples", []) if isinstance(e, str)][:2]
            parts = obj.split()
            where = " ".join(parts[parts.index("from"):]) if "from" in parts else ""
            valued = [f"{e} {where}".strip() for e in examples] if where else []
            groups["near_miss"].append({"reason": f"not supported: {undo} {noun}", "templates": list(dict.fromkeys(
                [f.format(f"{undo} {o}") for f in frames
                 for o in [f"my {noun}", obj] + [f"my {v} {noun}" for v in values] + valued]))})
        # only actions that make sense for the thing: "reschedule" what has a date or time, "rename" what
        # has a title or label; money is "a payment" ("cancel my payment", not "cancel my money")
        raw_kinds = {arg_kind(a, sch) for a, sch in raw.items()}
        fits = [v for v in verbs if (v != "reschedule" or raw_kinds & {"date", "time", "datetime"})
                and (v != "rename" or raw_kinds & {"title", "label"})]
        if noun in MONEY_NOUNS:
            noun = "payment"
        # and said of one thing by its value, as calls say it ("cancel order 482913", "delete Dune"), so a
        # value in a request is no sign of a call: the tool's first required ID, title or product
        kinds = {a: arg_kind(a, raw[a]) for a in raw}
        # (not "delete Cairo")
        one = next((a for a in tool.required if kinds[a] in ("id", "title", "product", "food")), None)
        valued = ([f"{{verb}} (my|the) {noun} {{{one}}}", f"can you {{verb}} {noun} {{{one}}}?"]
                  if kinds.get(one) == "id" else [f"{{verb}} {{{one}}}", f"can you {{verb}} {{{one}}}?"]) if one else []
        # and the thing said by what a call says of it ("change my grade in Biology 101", "cancel my study room
        # on Friday at 3"): its first two required words, dates or times, as the tool's calls say them
        # (not a message: "cancel my email saying ..." says what is sent, not which)
        which = [a for a in tool.required if kinds[a] not in ("number", "bool", "list", "object", "enum", "message",
                                                                "summary", "task", "purpose")][:2]
        if which and which != [one] and p.verb not in SEARCHING:  # (nothing of mine to cancel in a search)
            phrases = tool_phrases(tool, raw, kinds, p)
            nouns = set(noun.split())
            # not the noun twice ("my assignment assignment Lab Report 3"): the value right after it then
            args = " ".join(_alt([ph for ph in phrases[a] if ph.split()[0] not in nouns] or [f"{{{a}}}"])
                            for a in which)
            valued += [f"{{verb}} (my|the) {noun} {args}", f"i need to {{verb}} the {noun} {args}"]
        for verb in fits[:6]:
            group = {"reason": f"not supported: {verb} {noun}", "templates": [
                f"{verb} my {noun}", f"can you {verb} the {noun}?", f"i want to {verb} my {noun}",
                f"please {verb} the {noun} i made", f"how do i {verb} a {noun}?"] + [t.replace("{verb}", verb)
                                                                                   for t in valued]}
            groups["near_miss"].append({**group, "tool": tool.name} if valued else group)
    return groups


def negative_reasons(catalogue) -> dict[str, list[str]]:
    """The no_tool reasons the generic data uses, by kind (for other sources to phrase)."""
    out = {k: [g["reason"] for g in v] for k, v in negative_groups(catalogue).items()}
    out["greeting"] = out["greeting"] + out.pop("domain_question")
    out["missing_argument"] = [missing_reason(g["args"], t.name) for t in catalogue
                               for g in missing_groups(t)]
    return {k: v or ["chit-chat"] for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# the draft bank

def shared_examples(catalogue) -> dict[str, list]:
    """A catalogue's string fields' examples by field name: a field another tool shows by example is drawn from
    them where its own tool shows none ("plant" of a guarantee claim, shown as "Japanese maple" by the stock
    check, drew "pizza" and "yoga")."""
    out: dict[str, list] = {}
    for tool in catalogue:
        for arg, schema in raw_properties(tool).items():
            shown = [e for e in schema.get("examples") or [] if isinstance(e, str)]
            if schema.get("type") == "string" and "enum" not in schema and shown:
                for key in (arg,) + ((SUMMARY_KEY,) if arg_kind(arg, schema) == "summary" else ()):
                    out.setdefault(key, [])
                    out[key] += [e for e in shown if e not in out[key]]
    return out


# shared_examples' key for the examples of the catalogue's problem summaries: a summary shown by none borrows them
# ("What went wrong with the plant" drew "single sign-on keeps logging me out"; the catalogue's own summaries say
# "yellow leaves with brown spots")
SUMMARY_KEY = "(summary)"


def draft_tool(spec, shared: Optional[dict] = None) -> dict:
    """One tool's bank entry (the ToolBankSpec shape): slots with values, templates, missing groups; a field
    without examples borrows those of its namesake in another tool (`shared`: shared_examples)."""
    raw = raw_properties(spec)
    slots = {}
    for arg, schema in raw.items():
        if shared and not schema.get("examples") and schema.get("type") == "string" and "enum" not in schema:
            borrowed = shared.get(arg) or (shared.get(SUMMARY_KEY) if arg_kind(arg, schema) == "summary" else None)
            if borrowed:
                schema = {**schema, "examples": borrowed}
        table = slot_values(spec.name, arg, schema)
        if table:
            slots[arg] = table
    p = Phrase(spec)
    kinds = {a: arg_kind(a, s) for a, s in raw.items()}
    examples = learned_templates(spec, raw, kinds, tool_phrases(spec, raw, kinds, p))
    return {"unsupported": f"{p.verb} {p.obj}" if p.obj else words_of(spec.name), "slots": slots,
            "templates": tool_templates(spec, learned=False), **({"examples": examples} if examples else {}),
            "missing": missing_groups(spec)}


def draft_bank(catalogue) -> dict:
    """The whole drafted bank of a catalogue as a plain dict in the bank file's shape (BankSpec)."""
    from toolrouter.data.bank import ASIDE_SHARE

    shared = shared_examples(catalogue)
    return {"aside_share": ASIDE_SHARE, "tools": {t.name: draft_tool(t, shared) for t in catalogue},
            "negatives": negative_groups(catalogue)}


def draft_yaml(catalogue) -> str:
    """The drafted bank as YAML text with a header that says how to use it; it loads back with read_bank."""
    import yaml

    head = (f"# Phrasing bank for {catalogue.name}, drafted from its schema by `toolrouter bank draft`.\n"
            "# Edit freely: templates use {arg} slots, (a|b) choices and [optional] parts. Slots: `forms` say\n"
            "# enum values; `say: time|date|datetime|number` (+ `unit`) draws any valid value and says it the ways\n"
            "# people do; `provider` (city, person, place, ...) draws strings copied as said, `pool` adds yours;\n"
            "# `values` maps a value to its own forms, e.g. {60: [an hour, 60 minutes]}. A top-level `filler: 0.3`\n"
            "# gives that share of requests a few common words no template says; `aside_share` that share an aside\n"
            "# (\"it's been a long day\"; `asides` lists your own). A tool's `examples` are templates\n"
            "# of your own example requests: a fifth of its requests say them, and none is held out (docs/data.md).\n"
            "# Save it beside the catalogue as <name>.bank.yaml and `toolrouter data build` uses it.\n")
    class Dumper(yaml.SafeDumper):
        pass

    def short_lists_inline(dumper, data):  # value tables and pools on one line, templates one per line
        flow = all(isinstance(x, (str, int, float)) and len(str(x)) < 40 and not _SPECIAL.search(str(x)) for x in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, short_lists_inline)
    return head + yaml.dump(draft_bank(catalogue), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=200)


# ---------------------------------------------------------------------------------------------
# command line: toolrouter bank draft CATALOGUE [--out FILE]

def add_arguments(parser) -> None:
    """`toolrouter bank`'s actions and options."""
    sub = parser.add_subparsers(dest="action", required=True)
    draft = sub.add_parser("draft", help="write a starter phrasing bank drafted from a catalogue's schema")
    draft.add_argument("catalogue", help="built-in name or path (.py module or OpenAI-style .json)")
    draft.add_argument("--out", help="file to write (default: print it); beside the catalogue as "
                                     "<name>.bank.yaml it is picked up by `toolrouter data build`")


def command(args) -> int:
    import yaml
    from pathlib import Path

    from toolrouter.core.catalogue import load_catalogue
    from toolrouter.data.bank import BankSpec, _Compiled
    from toolrouter.errors import ToolrouterError
    from toolrouter.io import write_files

    catalogue = load_catalogue(args.catalogue)
    text = draft_yaml(catalogue)
    # the draft must load back: a problem here is a bug of ours, raised before anything is written
    _Compiled(catalogue, BankSpec.model_validate(yaml.safe_load(text)), "draft")
    if not args.out:
        print(text, end="")
        return 0
    out = Path(args.out)
    if out.exists():
        raise ToolrouterError(f"--out {out} already exists; a bank there may hold your edits: remove it or "
                              "write the draft elsewhere")
    try:
        write_files(out.parent, {out.name: text})
    except OSError as e:
        raise ToolrouterError(f"cannot write {out}: {e.strerror or e}; pass a writable --out") from None
    n = sum(len(t["templates"]) for t in draft_bank(catalogue)["tools"].values())
    print(f"wrote {out}: {len(catalogue)} tools, {n} templates; edit it, save it beside the catalogue as "
          f"{Path(catalogue.source).stem}.bank.yaml, and `toolrouter data build` uses it")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter bank` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["bank", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)


# ---------------------------------------------------------------------------------------------
# conversations: what may follow a call (used only when a recipe asks for conversations)

NAMED_KINDS = ("id", "city", "place", "place_to", "place_from", "person", "restaurant", "company", "product", "food",
               "country")


def draft_follow_ups(spec) -> list[dict]:
    """Generic follow-ups of a call to `spec` (the FollowUpSpec shape): change one argument and keep the
    rest ("actually make it 22", "the temperature 22 instead"), for each argument whose value can be said
    alone (a choice, a number, a list of choices); a tool with none gets "do that again"."""
    ups = []
    for arg, schema in raw_properties(spec).items():
        kind = arg_kind(arg, schema)
        if kind not in ("enum", "number", "list", "bool", *NAMED_KINDS) or (kind == "list" and "enum" not in schema.get("items", {})):
            continue
        if kind == "bool":
            continue  # "make it true" is not something people say
        words = words_of(arg)
        if kind in NAMED_KINDS:  # another thing of the same kind: "same for ORD-1234", "sorry, I meant Lyon"
            ups.append({"say": [f"(sorry, I meant|no wait,|actually) {{{arg}}}",
                                f"(the same|do the same|same thing|same) for {{{arg}}}[ too]"]})
            continue
        ups.append({"say": [f"(actually|no wait,|hmm,|sorry,) make (it|that) {{{arg}}}",
                            f"[and ](change|set) the {words} to {{{arg}}}",
                            f"{{{arg}}} instead", f"(now|ok now|and now) {{{arg}}}"]})
    if not ups:
        ups.append({"say": ["(again|do that again|once more|one more time|same again|and again)"]})
    return ups
