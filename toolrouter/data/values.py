"""Realistic argument values from a tool's schema, and the ways people say them.

A catalogue without a phrasing bank still knows a lot about its values: a field's `examples`, its
enum, its `format` (date, time, date-time, email, uri, uuid), its `pattern`, its bounds, and its
name and description ("city", "contact name or phone number", "length in minutes"). This module
turns that into slot specs of the bank language (`toolrouter.data.bank.SlotSpec`): a `values`
table (value -> spoken forms: "08:15" -> "quarter past eight", 60 -> "an hour") or a `pool` of
strings copied verbatim (cities, names, messages). Priority: examples, enum, format, pattern,
bounds, then a Faker provider picked from the name/description. Everything is seeded from the
tool and argument names, so the same catalogue always gets the same values (byte-identical builds).

    from toolrouter.data.values import sample_call
    tool, args = sample_call(load_catalogue("my_tools.py"), random.Random(0))   # a target to phrase
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import random
import re
import zlib
from typing import Any, Optional

from toolrouter.core.schema import FREE_TEXT_KEY

SYNONYMS_KEY = "synonyms"  # Field(json_schema_extra={"synonyms": {"xl": ["a big car", "extra large"]}})
POOL_SIZE = 60  # strings per pool: a fifth go to the test side by the hash rule (bank._held_out)

# Word lists Faker has no provider for. Faker supplies names, companies, emails, phones, countries,
# addresses, URLs; these supply what people actually ask about.
CITIES = ["Paris", "Oslo", "Lisbon", "Berlin", "Tokyo", "Madrid", "Rome", "Cairo", "Nairobi", "Lima", "Boston",
          "Chicago", "Sydney", "Toronto", "Dublin", "Vienna", "Prague", "Athens", "Istanbul", "Seoul", "Mumbai",
          "Delhi", "Bangkok", "Singapore", "Mexico City", "Buenos Aires", "Santiago", "Bogota", "Montreal",
          "Vancouver", "Seattle", "Denver", "Miami", "Houston", "Atlanta", "Phoenix", "San Diego", "Austin",
          "Edinburgh", "Manchester", "Glasgow", "Copenhagen", "Stockholm", "Helsinki", "Warsaw", "Budapest",
          "Zurich", "Geneva", "Munich", "Hamburg", "Milan", "Naples", "Barcelona", "Seville", "Porto", "Marseille",
          "Lyon", "Amsterdam", "Brussels", "Cape Town", "Lagos", "Accra", "Casablanca", "Dubai", "Doha", "Hanoi",
          "Manila", "Jakarta", "Osaka", "Kyoto", "Beijing", "Shanghai", "Hong Kong", "Melbourne", "Auckland",
          "Reykjavik", "Krakow", "Florence", "Venice", "Valencia", "New York", "Los Angeles", "San Francisco",
          "Portland", "Nashville", "New Orleans", "Quebec", "Havana", "Rio", "Sao Paulo", "Kyiv", "Tallinn"]
PLACES = ["the airport", "the train station", "home", "the office", "the hotel", "the city centre", "the mall",
          "the stadium", "the hospital", "the museum", "the beach", "the university", "my place", "the bus station",
          "the harbour", "the old town", "the conference centre", "the park", "downtown", "the gym"]
RELATIONS = ["mom", "dad", "my sister", "my brother", "my wife", "my husband", "grandma", "my boss", "the team"]
MESSAGES = ["I'm running late", "see you soon", "on my way", "call me when you can", "dinner is ready",
            "can you pick up milk?", "happy birthday!", "I'll be there in ten minutes", "good luck today",
            "the meeting moved to 3", "where are you?", "I got the tickets", "don't forget the keys",
            "thanks for today", "are we still on for tonight?", "I left my charger at yours", "running 5 min late",
            "the train is delayed", "can we talk later?", "love you", "let's meet at the cafe",
            "I'm outside", "bring an umbrella", "great job on the talk", "miss you", "just landed",
            "what time is the party?", "the package arrived", "call the plumber please", "see you at the station",
            "I'll cook tonight", "can you feed the cat?", "sorry I missed your call", "we need more coffee",
            "I'm stuck in traffic", "good morning!", "the kids are asleep", "lunch tomorrow?",
            "the car is fixed", "I booked the table"]
TASKS = ["call the dentist", "pay rent", "buy milk", "renew my passport", "water the plants", "take out the bins",
         "book a haircut", "send the invoice", "pick up the dry cleaning", "call grandma", "submit the report",
         "buy a birthday present", "back up my laptop", "cancel the gym membership", "feed the cat",
         "return the library books", "check the tyre pressure", "pay the electricity bill", "book the flights",
         "charge the camera", "email the landlord", "order more printer ink", "walk the dog", "clean the fridge",
         "pack for the trip", "take my vitamins", "update my CV", "call the bank", "buy train tickets",
         "fix the bike", "prepare the slides", "collect the parcel", "change the bed sheets", "defrost the freezer",
         "book a doctor's appointment", "renew the car insurance", "send mum a card", "practise the speech",
         "sign the contract", "review the budget"]
# what a payment is for, as its note says it
PURPOSES = ["rent", "dinner", "lunch", "pizza", "groceries", "tickets", "concert tickets", "the trip", "gas",
            "coffee", "babysitting", "utilities", "birthday gift", "drinks", "the cab", "movie night", "brunch",
            "the hotel", "parking", "books", "the gift", "phone bill", "internet", "tuition", "cleaning",
            "dog walking", "the wedding gift", "bowling", "takeout", "haircut", "car repair", "October rent",
            "half the deposit", "team lunch", "Friday drinks", "ski trip", "festival tickets", "the flowers"]
LABELS = ["gym", "work", "pasta", "laundry", "eggs", "tea", "meds", "pills", "school run", "meeting", "yoga",
          "bread", "nap", "call mum", "pizza", "rice", "study", "shower", "dog walk", "cake", "standup", "run",
          "coffee", "bus", "homework", "flight", "train", "pickup", "dinner", "break"]
TOPICS = ["jazz", "climate change", "the world cup", "electric cars", "italian recipes", "budget travel",
          "machine learning", "gardening tips", "the election", "marathon training", "vintage cameras",
          "remote work", "healthy breakfasts", "space exploration", "home workouts", "board games",
          "coffee brewing", "learning spanish", "solar panels", "photography"]
# dishes and drinks people order or log (the food kind: "Dish or drink to order.", "What I ate.")
FOODS = ["cheeseburger", "fries", "caesar salad", "pancakes", "club sandwich", "margherita pizza", "pad thai",
         "chicken wings", "bowl of ramen", "tomato soup", "cappuccino", "orange juice", "pot of tea", "nachos",
         "burrito", "sushi", "glass of red wine", "beer", "chocolate milkshake", "scrambled eggs",
         "fruit plate", "grilled salmon", "veggie burger", "spaghetti bolognese", "latte", "bottle of water",
         "chicken curry", "blt", "french toast", "greek salad", "fish and chips", "smoothie", "mac and cheese",
         "croissant", "omelette", "steak frites", "iced coffee", "cobb salad", "tacos", "slice of cheesecake"]
PRODUCTS = ["wireless headphones", "running shoes", "a coffee maker", "a phone case", "a yoga mat", "an office chair",
            "a laptop stand", "a water bottle", "a desk lamp", "a backpack", "a winter jacket", "a blender",
            "a smart watch", "a bluetooth speaker", "a rice cooker", "an electric kettle", "hiking boots",
            "a mechanical keyboard", "a gaming mouse", "sunglasses"]
VENUE_WORDS = ["Bistro", "Kitchen", "Grill", "House", "Table", "Garden", "Cafe", "Tavern", "Corner", "Room"]
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
# unit words -> (singular, plural); the first name/description word found wins
UNITS = {"minute": ("minute", "minutes"), "hour": ("hour", "hours"), "second": ("second", "seconds"),
         "day": ("day", "days"), "week": ("week", "weeks"), "night": ("night", "nights"), "month": ("month", "months"),
         "people": ("person", "people"), "person": ("person", "people"), "guest": ("guest", "guests"),
         "passenger": ("passenger", "passengers"), "seat": ("seat", "seats"), "ticket": ("ticket", "tickets"),
         "room": ("room", "rooms"), "percent": ("percent", "percent"), "degree": ("degree", "degrees"),
         "kilometer": ("kilometre", "kilometres"), "km": ("km", "km"), "mile": ("mile", "miles"),
         "item": ("item", "items"), "result": ("result", "results"), "star": ("star", "stars"),
         "dollar": ("dollar", "dollars"), "euro": ("euro", "euros"),
         # measures named by their abbreviation ("storage_gb", "weight_kg"): "256 GB", "a 5 kg bag"
         "gb": ("GB", "GB"), "mb": ("MB", "MB"), "tb": ("TB", "TB"), "kg": ("kg", "kg"), "lb": ("lb", "lbs"),
         "cm": ("cm", "cm"), "mm": ("mm", "mm"), "ml": ("ml", "ml")}
_UNIT_ALIASES = {"party": "people", "party_size": "people", "adults": "people", "attendees": "people",
                 "persons": "people", "mins": "minute", "secs": "second", "%": "percent", "brightness": "percent",
                 "temperature": "degree", "gigabytes": "gb", "megabytes": "mb", "terabytes": "tb",
                 "kilograms": "kg", "pounds": "lb", "lbs": "lb"}


# ---------------------------------------------------------------------------------------------
# what the schema says about an argument (Pydantic drops examples/format/synonyms from ToolSpec)

def raw_properties(spec) -> dict[str, dict]:
    """The argument schemas of a ToolSpec with everything a value provider can use: description,
    enum, examples, format, pattern, bounds and user-declared synonyms. Pydantic tools are read
    from their model's own JSON schema ($refs inlined, Optional unwrapped); JSON tools as given."""
    props = {k: dict(v) for k, v in spec.properties.items()}
    if not (hasattr(spec.model, "model_json_schema") and getattr(spec.model, "__module__", "") != "pydantic.main"):
        return props
    try:
        full = spec.model.model_json_schema()
    except Exception:  # a model pydantic cannot render: fall back to the cleaned schema
        return props
    defs = full.get("$defs", {})
    for name, node in full.get("properties", {}).items():
        if name not in props:
            continue
        node = _inline(node, defs)
        for key in ("examples", "format", SYNONYMS_KEY, "pattern"):
            if key in node and key not in props[name]:
                props[name][key] = node[key]
    return props


def _inline(node: dict, defs: dict) -> dict:
    node = dict(node)
    if "$ref" in node:
        node = {**copy.deepcopy(defs.get(node.pop("$ref").split("/")[-1], {})), **node}
    for sub in node.pop("anyOf", []) or []:
        if sub.get("type") != "null":
            node = {**_inline(sub, defs), **node}
    return node


def tool_examples(spec) -> list:
    """Class-level examples of a tool: `model_config = ConfigDict(json_schema_extra={"examples": [...]})`
    (or `"examples"` in a JSON tool's parameters). A string is an example request; a dict with
    `request` and `arguments` is a request with its call; any other dict is an example call."""
    found = spec.parameters.get("examples")
    if found is None and hasattr(spec.model, "model_json_schema"):
        try:
            found = spec.model.model_json_schema().get("examples")
        except Exception:
            found = None
    return list(found) if isinstance(found, list) else []


def words_of(name: str) -> str:
    """snake/kebab/camel name -> plain words: "party_size" -> "party size"."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name)
    return " ".join(re.split(r"[\s_.\-]+", s)).strip().lower()


# people an argument may name by role: "colleague" (a name argument described as "The colleague's name."), "professor"
PEOPLE = (r"(?:colleague|coworker|co-worker|employee|friend|teacher|professor|tutor|doctor|dentist|nurse|manager|boss|"
          r"customer|client|guest|host|member|student|passenger|driver|technician|contact person|participant)")


def arg_kind(arg: str, schema: dict) -> str:
    """What an argument is, for choosing values and phrases: time, date, datetime, email, url, uuid,
    phone, number, enum, bool, list, object, id, city, place_to, place_from, place, person, message,
    task, label, title, summary, currency, query, restaurant, company, country, food, product, color, text."""
    kind = schema.get("type")
    name = words_of(arg)
    desc = (schema.get("description") or "").lower()
    both = f"{name} {desc}"
    fmt = schema.get("format", "")
    pattern = schema.get("pattern", "")
    head = head_words(schema)
    if "enum" in schema:
        return "enum"
    if kind == "boolean":
        return "bool"
    if kind in ("integer", "number"):
        return "number"
    if kind == "array":
        return "list"
    if kind == "object":
        return "object"
    if fmt == "date-time" or "datetime" in name.replace(" ", ""):
        return "datetime"
    if fmt == "time" or pattern in (r"^\d{2}:\d{2}$", r"^[0-2]\d:[0-5]\d$", r"^([01]\d|2[0-3]):[0-5]\d$") \
            or re.search(r"\bhh:mm\b", desc) or name in ("time", "start time", "end time"):
        return "time"
    if fmt == "date" or re.search(r"yyyy-mm-dd", desc) or name in ("date", "day", "start date", "end date"):
        return "date"
    if fmt == "email" or "email" in name:
        return "email"
    if fmt in ("uri", "url") or re.search(r"\b(url|link|website)\b", name):
        return "url"
    if fmt == "uuid" or "uuid" in name:
        return "uuid"
    if re.search(r"\bcurrency\b", both) and (not pattern or re.fullmatch(pattern, "USD")):
        return "currency"
    if pattern or re.search(r"\b(id|code|number|sku|ref|reference)\b", name) and "phone" not in both:
        return "id"
    if re.search(r"\bphone\b", name):
        return "phone"
    if re.search(r"\bcolou?rs?\b", name) or head[-1:] in (["colour"], ["color"]):  # "Colour of the phone.": "in black"
        return "color"
    first = first_word(schema)
    # a country said as the place ("destination": "Country to visit."), or a country it is about ("passport":
    # "Country that issued my passport."): a country's name, "to Japan"
    if first in ("country", "nation") or re.search(r"\bcountry\b", name):
        return "country"
    if re.search(r"\b(branch|office|campus|site)\b", name):  # one of the user's provider's places: "at Central"
        return "place"
    if re.search(r"\b(destination|dropoff|drop off|to location|arrival)\b", name):
        return "place_to"
    if re.search(r"\b(pickup|pick up|origin|from location|departure|start location|source)\b", name) or \
            name in ("start", "from", "starting point") and re.search(r"\b(point|place|location|address|where)\b", desc):
        return "place_from"
    if re.search(r"\b(city|town)\b", name) or (name in ("location", "place", "where") and "city" in desc):
        return "city"
    if re.search(r"\b(address|location|place|venue)\b", name):
        return "place"
    # a place named in the description's head ("Club location; leave out for my home club.", "Which branch to
    # check."): "at Riverside", "the Downtown club"; not "location" said of something else ("Location of the pain"),
    # and a thing named by where it is ("Which printer, by where it is."): "the printer on the 2nd floor"
    if set(head) & set(PLACE_HEADS) and not re.search(r"\b(?:" + "|".join(PLACE_HEADS) + r") of\b", desc) \
            or name == "where" or re.search(r"\bwhere (?:it|they) (?:is|are)\b", desc):
        return "place"
    if re.search(r"\b(restaurant|hotel|bar|cafe|shop|store)\b", name):
        return "restaurant"
    if re.search(r"\b(company|employer|organi[sz]ation|merchant|vendor|retailer|supplier|airline|brand|payee)\b", name):
        return "company"
    if re.search(r"\b(dish|dishes|drink|drinks|food|meal|snack|beverage)\b", both) and not re.search(
            r"\b(pet|dog|cat|animal)\b", both):  # "Dish or drink to order.": a dish, not a product ("a yoga mat")
        return "food"
    if re.search(r"\b(product|item)\b", name):
        return "product"
    if name in ("to", "recipient", "contact", "person", "who", "attendee", "assignee", "user") \
            or re.search(r"\b(contact|recipient|person|attendee|first name|full name|name of the person)\b", both):
        return "person"
    # the name of a being someone acts for ("pet_name": "The pet's name.") or of someone ("name": "The colleague's
    # name.", "professor"): said like a person's, "for Bella", "Priya Shah"
    if re.search(r"\bname\b", name) and re.search(r"\b(pet|dog|cat|puppy|kitten|animal|child|kid|baby|son|daughter|"
                                                  r"patient|" + PEOPLE + r")s?\b", both) \
            or re.fullmatch(PEOPLE, name):
        return "person"
    # the name a booking is under ("Name to put the booking under."): a person's
    if name in ("name", "full name", "booking name") and re.search(
            r"\b(under|booking|reservation|register|registration|sign|my|your|guest|attendee)\b", desc):
        return "person"
    if re.search(r"\b(message|body|content|text|note|comment)\b", name):
        return "message"
    # what went wrong ("what_happened": "What went wrong with the plant, in a few words."): a problem, not a task
    if re.search(r"\b(happened|wrong|symptoms?|damage|fault|complaint)\b", name) or re.match(
            r"what (?:went|is|was|'s) wrong|what happened", desc):
        return "summary"
    if re.search(r"\b(task|todo|reminder)\b", name) or name == "what" or "remind" in desc:
        return "task"
    if re.search(r"\b(query|search|keyword|term|topic)\b", name):
        return "query"
    if re.search(r"\b(summary|description|problem|issue|details)\b", name):
        return "summary"
    if re.search(r"\b(title|subject|headline)\b", name):
        return "title"
    if re.search(r"\b(label|name|tag)\b", name):
        return "label"
    # a name that says nothing ("payee", "near"): the description's first noun says what it is
    # ("Company the bill is from.", "Address, street or neighbourhood to search around.")
    if first in ("company", "business", "merchant", "vendor", "brand", "biller", "provider", "organisation",
                 "organization", "employer"):
        return "company"
    if first in ("address", "street", "neighbourhood", "neighborhood", "location", "place", "area", "venue",
                 "landmark", "spot"):
        return "place"
    if first in ("city", "town"):
        return "city"
    # examples that are people's names ("The designer I'd like to see, by name." shown as "Maria Lopez"): a person
    shown = [e for e in schema.get("examples") or [] if isinstance(e, str)]
    if shown and all(re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z'-]+)?", e) and e.split()[0] in first_names()
                     for e in shown):
        return "person"
    # someone's name by role ("Trainer's name; leave out for whoever is free.", "Name of the stylist."): a
    # person, said "with Marcus"; not a thing's ("The restaurant's name." is caught above by its field name)
    role = re.match(r"(?:the )?(?:first |full |last )?name of (?:the |my |your )?([a-z]+)\b", desc)
    if re.match(r"(?:the |my |your )?([a-z]+)['’]s (?:first |full |last )?name\b", desc) \
            or role and re.search(r"(?:er|or|ist|ian|ant|ent|ee)$", role.group(1)):
        return "person"
    return "text"


def first_word(schema: dict) -> str:
    """The first word of a field's description, lower-cased, past an article ("Company the bill is
    from." -> "company"); "" when it has none."""
    m = re.match(r"(?:the |a |an )?([a-z]+)", (schema.get("description") or "").lower())
    return m.group(1) if m else ""


# nouns that make a field's head a place ("Club location", "Pickup address", "Home branch")
PLACE_HEADS = ("location", "address", "branch", "site", "venue", "premises", "neighbourhood", "neighborhood")
_HEAD_STOP = {"of", "to", "for", "in", "on", "at", "from", "with", "by", "that", "which", "who", "where", "when", "they",
              "it", "i", "we", "you", "is", "are", "will", "the", "a", "an", "my", "or", "and", "leave", "if", "as"}


@functools.lru_cache(maxsize=None)
def first_names() -> frozenset:
    """People's first names Faker knows (the locales the values use): what tells a person's name in examples."""
    import importlib

    names: set = set()
    for locale in ("en_US", "en_GB", "es_ES", "de_DE", "fr_FR"):
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        names |= set(getattr(provider, "first_names", ()))
    return frozenset(names)


def head_words(schema: dict) -> list[str]:
    """The words of a description's opening noun phrase, lower-cased: "Club location they will visit; ..."
    -> ["club", "location"], "Colour of the phone." -> ["colour"]."""
    text = re.split(r"[;,.:(]", (schema.get("description") or "").lower(), maxsplit=1)[0]
    words = re.findall(r"[a-z'’]+", re.sub(r"^(?:(?:which|what) )?(?:the|a|an|my|your)?\s*", "", text.strip()))
    out = []
    for w in words:
        if w in _HEAD_STOP:
            break
        out.append(w)
    return out


def unit_of(arg: str, schema: dict) -> Optional[str]:
    """The unit a number is counted in, from its name, then its description ("Length in minutes"); else
    a whole number named by a plural noun counts that noun ("glasses", "bags": "3 glasses", "1 bag"),
    as does one described as a "Number of ..." ("Number of bags.")."""
    # a measure the description says it is given in wins ("Highest ticket price, in dollars." is dollars, not
    # tickets: "under 287 tickets" was the data's price)
    said_in = re.search(r"\bin (minute|hour|second|day|week|night|month|percent|degree|kilomet(?:er|re)|km|mile|"
                        r"dollar|euro)s?\b", (schema.get("description") or "").lower())
    if said_in:
        return "kilometer" if said_in.group(1).startswith("kilomet") else said_in.group(1)
    # ("Steps per day.": a rate's "per day" is not the unit)
    for text in (words_of(arg), re.sub(r"\bper \w+", "", (schema.get("description") or "").lower())):
        for word in re.findall(r"[a-z%]+", text):
            if word in ("item", "items") and text != words_of(arg):  # "How many of the item.": the item is said
                continue  # after the count ("2 club sandwiches"), never "2 items club sandwich"
            word = _UNIT_ALIASES.get(word, word)
            stem = word[:-1] if word.endswith("s") and word[:-1] in UNITS else word
            if stem in UNITS:
                return stem
        for alias, unit in _UNIT_ALIASES.items():
            if alias in text.replace(" ", "_"):
                return unit
    if schema.get("type") != "integer":
        return None
    m = re.match(r"(?:(?:the )?(?:number|count) of|how many) ([a-z]+s)\b", (schema.get("description") or "").lower())
    name = words_of(arg)
    if m:
        return m.group(1)
    # a count named for its noun ("tire_count", "num_guests", "number_of_bags"): "4 tires", not "tire count 4"
    m = re.fullmatch(r"([a-z]{3,}) count|(?:num|number of) ([a-z]{3,}s)", name)
    if m:
        return m.group(2) or plural(m.group(1))
    return name if re.fullmatch(r"[a-z]{3,}s", name) and not name.endswith(("ss", "us", "is")) else None


def singular(word: str) -> str:
    """A plural noun's singular, by the spelling rules alone: "glasses" -> "glass", "bags" -> "bag",
    "boxes" -> "box"; "status", "bus", "class", "analysis" stay as they are."""
    if not word.endswith("s") or word.endswith(("ss", "us", "is")) or len(word) <= 3:
        return word
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4 and word[:-1] not in IE_NOUNS:  # "activities" -> "activity"
        return word[:-3] + "y"
    return word[:-1]


# nouns whose plural ends in -ies but whose singular in -ie ("movies" -> "movie", not "movy")
IE_NOUNS = {"movie", "cookie", "calorie", "selfie", "hoodie", "zombie", "smoothie", "pie", "tie", "lie", "brownie",
            "rookie", "genie", "sortie", "prairie", "lingerie", "newbie", "goalie", "birdie", "auntie", "veggie",
            "freebie", "specie", "serie"}


def plural(word: str) -> str:
    """A singular noun's plural, by the spelling rules alone: "activity" -> "activities", "box" -> "boxes"."""
    if word.endswith("s"):
        return word
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("sh", "ch", "x", "z")):
        return word + "es"
    return word + "s"


def unit_forms(unit: str) -> tuple[str, str]:
    """(singular, plural) of a unit: a known one (UNITS) or a counted plural noun ("glasses")."""
    return UNITS.get(unit) or (singular(unit), unit)


# ---------------------------------------------------------------------------------------------
# spoken forms

def number_words(n: int) -> str:
    """0..999 in words: 45 -> "forty-five"."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    return str(n)


def say_number(n: Any, unit: Optional[str] = None) -> list[str]:
    """The ways to say a number (with its unit): 60 minutes -> "an hour", "60 minutes", "sixty minutes"."""
    if isinstance(n, float) and not n.is_integer():
        text = str(n)
        if unit is None:
            return [text]
        money = {"dollar": [f"${n:.2f}", f"{n:.2f}"], "euro": [f"€{n:.2f}"]}.get(unit, [])  # "$15.50"
        return list(dict.fromkeys([f"{text} {unit_forms(unit)[1]}", text] + money))
    n = int(n)
    if unit is None:
        return [str(n)] + ([number_words(n)] if 0 <= n <= 20 else [])
    one, many = unit_forms(unit)
    noun = one if n == 1 else many
    forms = [f"{n} {noun}"]
    if 0 <= n <= 20 or (n < 100 and n % 5 == 0):
        forms.append(f"{number_words(n)} {noun}")
    # "a" + the noun only for a unit of measure ("an hour", "a ticket"): a noun counted by name ("tires" of
    # tire_count) also names the thing uncounted ("a tire rotation" was read as one tire), so one is "1 tire"
    if n == 1 and unit in UNITS and unit not in ("percent", "degree"):
        forms.append(("an " if one[0] in "aeiou" or one.startswith(("hour", "honou", "hono")) else "a ") + one)
    if unit == "minute":
        forms += {30: ["half an hour"], 60: ["an hour", "1 hour"], 90: ["an hour and a half", "1.5 hours"],
                  15: ["a quarter of an hour"], 45: ["three quarters of an hour"]}.get(n, [])
        if n >= 120 and n % 60 == 0:
            forms += [f"{n // 60} hours", f"{number_words(n // 60)} hours"]
        if unit == "minute" and n > 1:
            forms.append(f"{n} min")
    if unit == "second":
        forms += {30: ["half a minute"], 60: ["a minute"], 120: ["two minutes"]}.get(n, [])
    if unit == "hour":
        forms += {24: ["a day"], 48: ["two days"]}.get(n, [])
    if unit == "day":
        forms += {7: ["a week", "the week"], 14: ["two weeks"], 2: ["a couple of days"]}.get(n, [])
    if unit == "night":
        forms += {7: ["a week"], 14: ["two weeks"], 2: ["a couple of nights"]}.get(n, [])
    if unit == "percent":
        forms += [f"{n}%"] + (["half"] if n == 50 else ["full"] if n == 100 else [])
    if unit == "degree":
        forms.append(str(n))
    if unit == "dollar":  # "$50", "50 bucks", and bare where the rest of the request says it is money
        forms += [f"${n}", f"{n} bucks", str(n)]
    if unit == "euro":
        forms += [f"€{n}", f"{n} EUR", str(n)]
    if unit in ("person", "people") or unit == "guest":
        forms += [f"{n} of us", f"the {number_words(n)} of us"] if n > 1 else ["just me", "one person"]
        # a head count said by who comes: "me and my wife", "me and 3 friends"
        if n == 2:
            forms += ["me and my wife", "my wife and I", "me and my husband", "me and a friend", "me and my sister",
                      "both of us"]
        elif 3 <= n <= 9:
            forms += [f"me and {n - 1} friends", f"me and {number_words(n - 1)} friends"]
        # a head count is said bare as often as not: "a table for 4", "for two"
        forms += [str(n)] + ([number_words(n)] if 0 <= n <= 20 else [])
        if n == 2:
            forms.append("two people")
    if unit in ("guest", "passenger") and n > 1:  # guests and passengers are people: "for 4 people"
        forms += [f"{n} people"] + ([f"{number_words(n)} people"] if n <= 20 else [])
    return list(dict.fromkeys(forms))


def say_adjective(n: Any, unit: str) -> list[str]:
    """A number and its unit before a noun: "a 25-minute timer", "a three day forecast"."""
    one = unit_forms(unit)[0]
    forms = [f"{n} {one}", f"{n}-{one}"]
    if isinstance(n, int) and 0 <= n <= 20:
        forms.append(f"{number_words(n)}-{one}")
    return forms


def _hour12(h: int) -> int:
    return h % 12 or 12


def say_time(hhmm: str) -> list[str]:
    """The ways to say a 24-hour time: "08:15" -> "8:15", "8:15am", "quarter past eight", ...;
    a bare hour ("7") is said only for morning hours (05-11), the reading people mean by "wake me at 7"."""
    h, m = (int(x) for x in hhmm.split(":"))
    h12, ampm = _hour12(h), "am" if h < 12 else "pm"
    part = "in the morning" if 5 <= h < 12 else "in the afternoon" if 12 <= h < 18 else \
        "in the evening" if 18 <= h < 22 else "at night"
    word = number_words(h12)
    nxt = _hour12(h + 1)
    forms = [hhmm]
    if m == 0:
        forms += [f"{h12}{ampm}", f"{h12} {ampm}", f"{h12} {part}", f"{word} {part}", f"{h12}:00 {ampm}"]
        if 5 <= h < 12:
            forms += [str(h12), f"{h12} o'clock", word, f"{word} o'clock"]
        if 12 <= h <= 16:  # "like 2 o'clock" for a check-out is 14:00 (hotel_stay's router read no time there);
            forms += [f"{h12} o'clock", f"{word} o'clock"]  # 5 and 6 o'clock stay the morning's
        if h == 12:
            forms.append("noon")
        if h == 0:
            forms = [hhmm, "midnight", "12am"]
    else:
        forms += [f"{h12}:{m:02d}{ampm}", f"{h12}:{m:02d} {ampm}", f"{h12}:{m:02d} {part}"]
        if 5 <= h < 12:
            forms.append(f"{h12}:{m:02d}")
        suffix = "" if 5 <= h < 12 else f" {part}"
        if m == 15:
            forms += [f"quarter past {word}{suffix}", f"quarter past {h12}{suffix}"]
        elif m == 30:
            forms += [f"half past {word}{suffix}", f"half past {h12}{suffix}"]
        elif m == 45:
            nxt_part = "" if 5 <= h + 1 < 12 else f" {part}"
            forms += [f"quarter to {number_words(nxt)}{nxt_part}"]
        elif m in (5, 10, 20, 25):
            forms += [f"{m} past {h12}{suffix}", f"{number_words(m)} past {word}{suffix}"]
    return list(dict.fromkeys(forms))


def _ordinal(d: int) -> str:
    return f"{d}{'th' if 11 <= d % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


def say_date(iso: str) -> list[str]:
    """The ways to say an ISO date, always with its year (a bare "Friday" cannot be resolved); a holiday
    also by its name ("New Year's Day 2027")."""
    d = dt.date.fromisoformat(iso)
    month, short = MONTHS[d.month - 1], MONTHS[d.month - 1][:3]
    return [iso, f"{month} {d.day}, {d.year}", f"{month} {_ordinal(d.day)}, {d.year}", f"{d.day} {month} {d.year}",
            f"{short} {d.day} {d.year}", f"the {_ordinal(d.day)} of {month} {d.year}",
            # (thrice: a holiday drawn is said by its name about half the time its date is spoken)
            *(form for name in holidays(d.year).get(d, ()) for form in (f"{name} {d.year}", f"{name}, {d.year}") * 3)]


# Holidays people name a date by (US calendar): fixed ones, and the nth weekday of a month (n = -1: the last)
FIXED_HOLIDAYS = {(1, 1): ["New Year's Day"], (2, 14): ["Valentine's Day"], (3, 17): ["St. Patrick's Day"],
                  (7, 4): ["the Fourth of July", "July 4th", "Independence Day"], (10, 31): ["Halloween"],
                  (12, 24): ["Christmas Eve"], (12, 25): ["Christmas", "Christmas Day"], (12, 31): ["New Year's Eve"]}
WEEKDAY_HOLIDAYS = {"Mother's Day": (5, 6, 2), "Memorial Day": (5, 0, -1), "Father's Day": (6, 6, 3),
                    "Labor Day": (9, 0, 1), "Thanksgiving": (11, 3, 4)}  # (month, weekday Mon=0, n)
HOLIDAY_SHARE = 0.08  # of drawn dates: a holiday, so the data says them (one date in 365 otherwise)


@functools.lru_cache(maxsize=None)
def holidays(year: int) -> dict[dt.date, list[str]]:
    """{date: its names} of `year`'s holidays: FIXED_HOLIDAYS and WEEKDAY_HOLIDAYS ("Thanksgiving 2026" is
    November 26)."""
    import calendar

    out = {dt.date(year, m, d): names for (m, d), names in FIXED_HOLIDAYS.items()}
    for name, (month, weekday, n) in WEEKDAY_HOLIDAYS.items():
        days = [day for day in (dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1))
                if day.weekday() == weekday]
        out.setdefault(days[n - 1 if n > 0 else n], []).append(name)
    return out


# what a key may be and what a form must fit: the file's header
def _everyday() -> dict[str, list[str]]:
    """The everyday words for common enum values (data/everyday.yaml): "air conditioning" -> "ac", "air con"."""
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("toolrouter.data").joinpath("everyday.yaml").read_text(encoding="utf-8"))


COMMON_SYNONYMS = _everyday()


def enum_forms(values: list, synonyms: Optional[dict] = None) -> dict:
    """Each enum value's surface forms: its natural words (twice: the value's own word stays the one
    said most), the user's declared synonyms, else COMMON_SYNONYMS, less any word that another value of
    the same enum is or has ("big" cannot say both "large" and "xl")."""
    forms = {v: enum_words(v, synonyms) for v in values}
    own = {v: {f.lower() for f in fs} for v, fs in forms.items()}
    said = {v: own[v] | {e.lower() for e in COMMON_SYNONYMS.get(fs[0], [])} for v, fs in forms.items()}
    declared = {str(k) for k in (synonyms or {})}
    out = {}
    for v, fs in forms.items():
        others = set().union(*(said[w] for w in values if w != v))
        extra = [e for e in ([] if str(v) in declared else COMMON_SYNONYMS.get(fs[0], []))
                 if e.lower() not in others and e.lower() not in own[v]]
        out[v] = fs + ([fs[0]] + extra if extra else [])
    return out


# A boolean named for what it adds ("include_tax", "with_breakfast", "send_receipt"): said as the action,
# or its absence with "without"; any other name is a quality said as itself ("urgent", "online").
_BOOL_ACTIONS = ("include", "with", "has", "have", "show", "send", "notify", "allow", "enable", "add", "is")
_BOOL_NEEDS = ("need", "needs", "require", "requires", "want", "wants")
_MODALS = ("would", "will", "should", "could", "can")
_PREPOSITIONS = ("on", "at", "when", "if", "by", "about", "before", "after", "upon")


def _noun_like(word: str) -> bool:
    """A boolean named by a thing, not a quality: "reminder", "receipt", "insurance", "parking" (said "with a
    reminder", "no reminder"); "urgent", "accessible", "online" are qualities ("not urgent")."""
    return bool(re.search(r"(?:er|or|ion|ment|ness|ship|age|ure|ance|ipt)$", word)) and not re.search(
        r"(?:ever|ior|ular|ure[ds]?)$", word) or word in ("breakfast", "insurance", "parking", "wifi", "delivery",
                                                         "refund", "receipt", "tip", "gift", "wrap", "helmet", "lock")


def bool_forms(arg: str, schema: dict) -> dict:
    """Surface forms of a boolean argument, by its name: `online_only` ("Only online classes.") is
    "online" or "online only", and false "not just online"; `urgent` is "urgent", false "not urgent";
    `include_tax` is "include tax", false "without tax". The user's synonyms ({true: [...], false: [...]},
    as for an enum) come first. No name echo: the name is not said with a yes or no after it."""
    words = words_of(arg).split()
    quality_of_name = False  # said as the name's own words (the last branch below): its "not" + name is no form
    only = "only" in words or (schema.get("description") or "").lower().startswith("only ")
    core = [w for w in words if w != "only"] or words
    if core[0] in _BOOL_ACTIONS and len(core) > 1:
        rest = " ".join(core[1:])
        act = " ".join(core) if core[0] != "is" else rest
        forms = {True: [act, f"with {rest}"] if core[0] != "with" else [act, f"and {rest}"],
                 False: [f"without {rest}", f"no {rest}"]}
        if core[1] in _PREPOSITIONS:  # `notify_on_arrival`: "notify on arrival", "don't notify on arrival"
            forms = {True: [act], False: [f"don't {act}"]}
    elif core[0] in _MODALS and len(core) > 1:  # `would_book_again`: "would book again", "wouldn't book again"
        forms = {True: [" ".join(core)], False: [f"{core[0] if core[0] != 'will' else 'wo'}n't {' '.join(core[1:])}"]}
    elif len(core) > 1 and core[0] not in _BOOL_NEEDS and (_noun_like(core[-1]) or core[-1].endswith("ing")):
        # a kind of thing: `accessible_seating` is "accessible seating", "no accessible seating"
        quality = " ".join(core)
        forms = {True: [quality, f"with {quality}"], False: [f"no {quality}", f"without {quality}"]}
    elif core[0] in _BOOL_NEEDS and len(core) > 1 or len(core) == 1 and _noun_like(core[0]):
        # a thing wanted: `needs_projector` is "with a projector", "no projector" ("not needs projector" was the
        # data's); `reminder` is "with a reminder", "no reminder"
        thing = " ".join(core[1:]) if core[0] in _BOOL_NEEDS else core[0]
        a = "" if thing.endswith("s") and not thing.endswith("ss") else ("an " if thing[0] in "aeiou" else "a ")
        forms = {True: [f"with {a}{thing}", f"need {a}{thing}"] if core[0] in _BOOL_NEEDS else [f"with {a}{thing}", thing],
                 False: [f"no {thing}", f"without {a}{thing}"]}
    else:
        quality, quality_of_name = " ".join(core), not only
        forms = {True: [quality] + ([f"{quality} only"] if only else []),
                 False: [f"not just {quality}"] if only else [f"not {quality}"]}
    said = bool_act(schema.get("description") or "")
    if said:  # what the description says is done, first: "keep my bags", "no need to text me"; never "not" + the
        # name after it ("not store old set" echoed the schema)
        forms = {True: list(dict.fromkeys(said[True] + forms[True])),
                 False: said[False] if quality_of_name else list(dict.fromkeys(said[False] + forms[False]))}
    declared = {str(k).lower(): v for k, v in (schema.get(SYNONYMS_KEY) or {}).items()}
    for value in (True, False):
        more = declared.get(str(value).lower())
        if more:
            forms[value] = list(dict.fromkeys(([more] if isinstance(more, str) else list(more)) + forms[value]))
    return forms


_ACT_ENDS = ("when", "whenever", "after", "before", "while", "if", "once", "until", "so", "because", "in case")


def bool_act(description: str) -> Optional[dict]:
    """The act a yes/no argument's description says is done or not, as people ask for it: "Whether to text me when
    the car is ready." -> "text me" / "don't text me", "no need to text me"; "Whether the front desk should keep my
    bags after I check out." -> "keep my bags"; "Whether I need a courtesy car while it's in." -> "need a courtesy
    car" / "don't need a courtesy car". None where it says no act (a quality: "Whether it is urgent.")."""
    first = description.strip().split(". ")[0].rstrip(". ").lower()
    m = re.match(r"whether (?:to (?P<to>.+)"
                 r"|(?:the|my|a|an) [a-z-]+(?: [a-z-]+)? (?:should|will|would|must) (?P<they>.+)"
                 r"|(?:i|we) (?:should |will |would |must )?(?P<me>.+))$", first)
    if not m:
        return None
    act = next(g for g in m.groups() if g)
    words = act.replace(",", " ,").split()
    cut = next((i for i, w in enumerate(words) if w in _ACT_ENDS + (",",) or " ".join(words[i:i + 2]) in _ACT_ENDS),
               len(words))
    act = " ".join(words[:cut])
    if not act or cut > 6 or words[0] in ("is", "are", "be", "it", "has", "was"):
        return None
    if m.group("me"):
        return {True: [act], False: [f"don't {act}"]}
    return {True: [act, f"please {act}"], False: [f"don't {act}", f"no need to {act}"]}


def enum_words(value: Any, synonyms: Optional[dict] = None) -> list[str]:
    """Natural words of an enum value (snake/kebab split) plus the user's declared synonyms. The value as
    written is a form too unless it is snake case: nobody types "new_tires" (a fifth of auto_care's
    requests had said one)."""
    text = str(value)
    forms = [text.replace("_", " ").replace("-", " ").lower()] + ([] if "_" in text else [text])
    for key, more in (synonyms or {}).items():
        if str(key) == text:
            forms += [more] if isinstance(more, str) else list(more)
    return list(dict.fromkeys(f for f in forms if f))


# ---------------------------------------------------------------------------------------------
# drawing values: the whole valid range, so a router learns to read values rather than recall them

def _rng(*names: str) -> random.Random:
    return random.Random(zlib.crc32("/".join(names).encode()))


NICE = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 45, 50, 60, 75, 90, 100, 120, 150, 180, 200, 240, 250,
        300, 500, 1000]
DATES = (dt.date(2025, 1, 1), dt.date(2028, 12, 31))  # fixed, so a build never depends on today


# an amount of money has no natural top: "convert 1000 CHF", "a 2500 budget"
_MONEY = re.compile(r"\b(?:amount|price|cost|money|budget|salary|payment|fee|total|sum)\b")


def number_bounds(schema: dict, name: str = "") -> tuple[int, int]:
    """The integer range a number argument's values are drawn from: its bounds, else 1..100 (1..5000
    for an amount of money without an upper bound, by its name or description)."""
    lo = schema.get("minimum", schema["exclusiveMinimum"] + 1 if "exclusiveMinimum" in schema else None)
    hi = schema.get("maximum", schema["exclusiveMaximum"] - 1 if "exclusiveMaximum" in schema else None)
    top = 4999 if _MONEY.search(f"{words_of(name)} {schema.get('description') or ''}".lower()) else 99
    if lo is None and hi is None:
        lo, hi = 1, top + 1
    elif lo is None:
        lo = hi - 99 if hi < 1 or hi > 100 else 1
    elif hi is None:
        hi = lo + top
    return int(-(-lo // 1)), int(hi // 1)


def draw(kind: str, rng: random.Random, lo: int = 1, hi: int = 100) -> Any:
    """One value of a spoken kind: "time" (HH:MM, mostly round minutes), "date" (ISO), "datetime"
    (ISO, seconds 00) or "number" (lo..hi, round numbers half the time)."""
    if kind == "number":
        nice = [v for v in NICE if lo <= v <= hi]
        return rng.choice(nice) if nice and rng.random() < 0.4 else rng.randint(lo, hi)
    if kind == "time":
        h = rng.randint(5, 22) if rng.random() < 0.85 else rng.randint(0, 23)
        r = rng.random()
        # people name the hour most ("at 9", "7pm"), then its halves and quarters
        m = 0 if r < 0.4 else rng.choice((15, 30, 45)) if r < 0.7 else rng.randrange(0, 60, 5) if r < 0.9 \
            else rng.randint(0, 59)
        return f"{h:02d}:{m:02d}"
    day = DATES[0] + dt.timedelta(days=rng.randint(0, (DATES[1] - DATES[0]).days))
    if kind == "date" and rng.random() < HOLIDAY_SHARE:  # "on Christmas Eve 2026"
        day = rng.choice(sorted(holidays(day.year)))
    if kind == "date":
        return day.isoformat()
    return f"{day.isoformat()}T{draw('time', rng)}:00"


def say(kind: str, value: Any, unit: Optional[str] = None) -> list[str]:
    """The ways to say a value of a spoken kind (see `draw`)."""
    if kind == "number":
        return say_number(value, unit)
    if kind == "time":
        return say_time(value)
    if kind == "date":
        return say_date(value)
    date, time = value.split("T")
    d, t = say_date(date), say_time(time[:5])
    return [value, f"{d[1]} at {t[1]}", f"{d[3]} at {t[2]}", f"{d[2]} at {t[-1]}"]


def _faker(rng: random.Random, locales=("en_US",)):
    from faker import Faker

    fake = Faker(list(locales))
    fake.seed_instance(rng.randrange(2 ** 31))
    return fake


def _composed(rng: random.Random, fake, kind: str) -> str:
    """Free text people type, composed from parts so every one is new (a router must copy it)."""
    name, place = fake.first_name(), rng.choice(PLACES)
    time = rng.choice(say_time(draw("time", rng))[1:3])
    if kind == "message":
        return rng.choice([rng.choice(MESSAGES), rng.choice(MESSAGES), f"meet me at {place} at {time}",
                           f"I'm at {place}", f"call {name} back", f"running {rng.randint(2, 40)} min late",
                           f"see you at {time}", f"can you bring {rng.choice(PRODUCTS)}?", f"{name} says hi",
                           f"don't forget {rng.choice(TASKS)}", f"I'll be home by {time}", f"are you at {place}?",
                           f"pick me up from {place}", f"{rng.choice(MESSAGES).rstrip('?!.')}, {name}"])
    return rng.choice([rng.choice(TASKS), rng.choice(TASKS), f"call {name}", f"email {name} about {rng.choice(TOPICS)}",
                       f"buy {rng.choice(PRODUCTS)}", f"pick up {name} from {place}", f"text {name} back",
                       f"read about {rng.choice(TOPICS)}", f"book a table for {rng.randint(2, 8)}",
                       f"go to {place}", f"pay {name} back", f"{rng.choice(TASKS)} before {time}"])


def _street(rng, fake) -> str:  # "12 Oak Street": Faker's street_address adds suites and 5-digit numbers
    return f"{rng.randint(1, 250)} {fake.street_name()}"


def _place(rng, fake) -> str:
    """Where a ride or a delivery starts or ends: a street address, a named place, a landmark."""
    r = rng.random()
    if r < 0.45:
        return _street(rng, fake)
    if r < 0.65:
        return fake.city()
    kind = rng.choice(["Hotel", "Station", "Park", "Museum", "Mall", "Library", "Hospital", "Square", "Bridge",
                       "Theatre", "Market", "Airport", "Stadium", "Church", "Gallery", "Tower", "Plaza", "Gardens"])
    name = rng.choice([fake.last_name(), fake.city(), fake.street_name().split()[0], fake.first_name()])
    return rng.choice([f"the {name} {kind}", f"{name} {kind}"])


# Titles and subjects: a few words people give a meeting, an email or a document.
TITLE_HEADS = ["review", "sync", "planning", "update", "kickoff", "retro", "check-in", "report", "meeting", "follow-up",
               "workshop", "demo", "interview", "catch-up", "budget", "roadmap", "proposal", "invoice", "agenda", "notes"]
# What goes wrong, for summaries of problems: "{thing} {problem}" ("the login page is down").
THINGS = ["the login page", "checkout", "the app", "search", "the printer", "the VPN", "email sync", "the dashboard",
          "file upload", "the API", "the website", "password reset", "the mobile app", "notifications", "the build",
          "the payment page", "the export button", "the wifi", "the calendar", "single sign-on"]
PROBLEMS = ["is down", "is slow", "keeps crashing", "does not load", "shows an error", "times out", "is broken",
            "returns 500 errors", "keeps logging me out", "shows the wrong totals", "does nothing", "is very slow today",
            "fails for some users", "freezes on start"]


def _weighted(rng: random.Random, options: list) -> str:
    """One of `options` [(cumulative share, make)]: the first whose share is above a uniform draw."""
    r = rng.random()
    return next(make() for upto, make in options if r < upto)


def _title(rng: random.Random, fake) -> str:
    return _weighted(rng, [
        (0.3, lambda: f"{fake.word()} {rng.choice(TITLE_HEADS)}"),
        (0.45, lambda: f"{rng.choice(['Q1', 'Q2', 'Q3', 'Q4', 'weekly', 'monthly', 'team', 'project'])} "
                       f"{rng.choice(TITLE_HEADS)}"),
        (0.6, lambda: rng.choice(TOPICS + TASKS)),
        (0.75, lambda: " ".join(fake.words(rng.randint(2, 4)))),
        (0.85, lambda: f"{rng.choice(TITLE_HEADS)} with {fake.first_name()}"),
        (1.0, lambda: fake.catch_phrase().lower() if rng.random() < 0.5
         else f"{fake.word()} {fake.word()} {rng.randint(2, 9999)}")])


# What goes wrong with a thing of any kind, said without naming it: a summary of a problem outside software
# ("What went wrong with the plant, in a few words.": "died after two weeks", not "the VPN is down")
WHAT_WENT_WRONG = ["stopped working", "arrived damaged", "broke after a week", "died after two weeks", "never worked",
                   "came with parts missing", "is leaking", "won't turn on", "has a crack", "was the wrong size",
                   "fell apart", "looks nothing like the picture", "is making a loud noise", "keeps breaking",
                   "smells bad", "is covered in spots", "turned brown", "is falling apart", "stopped growing",
                   "is dirty", "won't close", "is stuck", "is too small", "got wet", "is missing a piece"]


def _summary(rng: random.Random, fake) -> str:
    return _weighted(rng, [
        (0.25, lambda: f"{rng.choice(THINGS)} {rng.choice(PROBLEMS)}"),
        (0.35, lambda: f"{fake.word()} {rng.choice(['page', 'button', 'report', 'service', 'screen', 'form'])} "
                      f"{rng.choice(PROBLEMS)}"),
        (0.7, lambda: rng.choice(WHAT_WENT_WRONG)),
        (0.9, lambda: f"{rng.choice(['it', 'the whole thing', 'one of them', 'the new one'])} "
                      f"{rng.choice(WHAT_WENT_WRONG)}"),
        (1.0, lambda: " ".join(fake.words(rng.randint(3, 6))))])


def _email(rng: random.Random, fake) -> str:
    """An address at a real-looking domain. Faker's default draws only example.com/org/net (its `safe`
    domains): a router trained on those read "mark@acme.io" as no address at all (office_tools: send_email
    1-2 of 10 called, "missing to")."""
    return _weighted(rng, [
        (0.6, lambda: fake.email(safe=False)),
        (0.85, lambda: f"{fake.first_name()}.{fake.last_name()}@{fake.domain_name()}".lower()),
        (1.0, lambda: fake.email())])


PROVIDERS = {
    "title": _title,
    "summary": _summary,
    "currency": lambda rng, fake: fake.currency_code(),
    "city": lambda rng, fake: rng.choice(CITIES) if rng.random() < 0.5 else fake.city(),
    "place": lambda rng, fake: rng.choice([rng.choice(PLACES), _street(rng, fake), rng.choice(CITIES), fake.city()]),
    "place_to": lambda rng, fake: _place(rng, fake),
    "place_from": lambda rng, fake: _place(rng, fake),
    "person": lambda rng, fake: rng.choice([fake.first_name(), fake.first_name(), f"{fake.first_name()} {fake.last_name()}",
                                            rng.choice(RELATIONS)]),
    # someone named by name, not by relation (a colleague, a pet: "find Priya Shah", never "find mom"), and a
    # surname ("The professor's last name.")
    "person_name": lambda rng, fake: rng.choice([fake.first_name(), f"{fake.first_name()} {fake.last_name()}"]),
    "surname": lambda rng, fake: fake.last_name(),
    "company": lambda rng, fake: fake.company(),
    "country": lambda rng, fake: fake.country(),
    "email": lambda rng, fake: _email(rng, fake),
    "phone": lambda rng, fake: fake.phone_number(),
    "url": lambda rng, fake: fake.url(),
    "uuid": lambda rng, fake: str(fake.uuid4()),
    "id": lambda rng, fake: rng.choice([str(rng.randint(1000, 999999)), f"{fake.random_uppercase_letter()}"
                                        f"{fake.random_uppercase_letter()}{rng.randint(100, 99999)}",
                                        f"{fake.word().upper()[:3]}-{rng.randint(100, 9999)}"]),
    "restaurant": lambda rng, fake: rng.choice([f"{fake.last_name()}'s", f"Chez {fake.first_name()}",
                                                f"The {fake.color_name()} {rng.choice(VENUE_WORDS)}",
                                                f"{fake.last_name()} {rng.choice(VENUE_WORDS)}", fake.last_name()]),
    "food": lambda rng, fake: rng.choice(FOODS),
    "color": lambda rng, fake: rng.choice([fake.safe_color_name(), f"{rng.choice(['light', 'dark', 'pale', 'deep', 'matte'])} "
                                           f"{fake.safe_color_name()}"]),
    "product": lambda rng, fake: rng.choice(PRODUCTS) if rng.random() < 0.5 else f"{fake.color_name().lower()} "
                                                                                 f"{rng.choice(PRODUCTS).split()[-1]}",
    "message": lambda rng, fake: _composed(rng, fake, "message"),
    "task": lambda rng, fake: _composed(rng, fake, "task"),
    "purpose": lambda rng, fake: rng.choice(PURPOSES),
    "label": lambda rng, fake: rng.choice(LABELS) if rng.random() < 0.5 else
    rng.choice([fake.word(), f"{fake.word()} {rng.choice(LABELS)}", fake.first_name()]),
    "query": lambda rng, fake: rng.choice(TOPICS) if rng.random() < 0.4 else f"{fake.word()} {rng.choice(TOPICS)}",
    "text": lambda rng, fake: rng.choice([rng.choice(LABELS), rng.choice(TOPICS), fake.word(),
                                          f"{fake.word()} {fake.word()}"]),
}
_FREE = ("message", "task", "email", "url", "phone", "uuid", "id", "title", "summary", "currency")
_TIDY = re.compile(r"[\w][\w .'&-]*[\w]", re.UNICODE)  # no stray trailing "'" or "." from a provider
# No it_IT: Faker builds its city list from a set, so its order (and every seeded draw from it) changed
# with each process's string hashing (PYTHONHASHSEED), and so did a build's bytes.
_LOCALES = {"city": ("en_US", "en_GB", "de_DE", "es_ES", "fr_FR"), "person": ("en_US", "en_GB", "es_ES", "de_DE"),
            "person_name": ("en_US", "en_GB", "es_ES", "de_DE"), "surname": ("en_US", "en_GB", "es_ES", "de_DE")}


NOVEL_CONNECTORS = ["of", "the", "and", "on", "at", "in"]


@functools.lru_cache(maxsize=None)
def novel_words() -> tuple[str, ...]:
    """Some 10,000 distinct words from Faker's name, surname, street, city and lorem lists (fixed order,
    so builds stay byte-identical): far more than a router can memorise, so it must copy them."""
    from faker import Faker

    fake = Faker(["en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "nl_NL"])  # no it_IT: see _LOCALES
    fake.seed_instance(0)
    pick = random.Random(0)
    words: dict[str, str] = {}  # lower-cased -> as Faker wrote it, first seen first
    for _ in range(40000):
        w = pick.choice([fake.first_name, fake.last_name, fake.word, fake.city, fake.street_name])()
        for part in w.split():
            part = part.strip(".,'-")
            if part.isascii() and part.isalpha() and 2 < len(part) < 14:
                words.setdefault(part.lower(), part)
        if len(words) >= 10000:
            break
    return tuple(words.values())


def novel_value(rng: random.Random) -> str:
    """A made-up name or title of one to five words ("Harwick Lane", "Orla of the Mendez",
    "212 Vossberg Ring, Tillmann"), drawn from `novel_words`: a value no model has seen."""
    words = novel_words()
    k = rng.choice([1, 2, 2, 2, 3, 3, 4])
    parts = [rng.choice(words) for _ in range(k)]
    r = rng.random()
    if k >= 3 and r < 0.2:
        parts.insert(rng.randrange(1, k), rng.choice(NOVEL_CONNECTORS))
    elif k >= 2 and r < 0.35:
        parts[-1] = ", " + parts[-1]
    elif r < 0.5:
        parts.insert(0, str(rng.choice([rng.randint(1, 99), rng.randint(100, 2999)])))
    text = " ".join(parts).replace(" , ", ", ")
    case = rng.random()
    return text.lower() if case < 0.25 else text.title() if case < 0.5 else text


# the values people use most, by provider: a third of all draws, the long tail the rest
# colours things come in, said as people say them ("black", "rose gold"); the long tail is Faker's
COLOURS = ["black", "white", "silver", "gold", "blue", "red", "green", "grey", "pink", "purple", "navy", "rose gold",
           "space grey", "midnight", "graphite", "beige", "yellow", "orange", "teal", "dark green"]
FIRST_NAMES = ["Alex", "Sam", "Chris", "Maria", "John", "Emma", "David", "Sarah", "Tom", "Anna", "Ben", "Lucy", "James",
               "Laura", "Mike", "Kate", "Dan", "Priya", "Omar", "Mei"]
COMMON = {"city": CITIES, "place": PLACES + CITIES[:30], "place_to": PLACES, "place_from": PLACES,
          "person": RELATIONS + FIRST_NAMES, "person_name": FIRST_NAMES,
          "message": MESSAGES, "task": TASKS, "color": COLOURS, "label": LABELS, "query": TOPICS, "product": PRODUCTS, "food": FOODS,
          "text": LABELS + TOPICS,
          # the currencies most conversions are in (the long tail: every ISO code Faker knows)
          "currency": ["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR", "MXN", "SEK", "NZD", "HKD",
                       "SGD", "KRW", "BRL"]}
COMMON_SHARE = 1 / 3
# A field's own examples where its provider has no common values: they show what a value looks like,
# not what people ask for most. At the common share, a restaurant field's two examples were 39 % of
# its training values (dining_travel), and the router learned to recall them instead of copying.
EXAMPLES_SHARE = 0.1


_ID_LIKE = re.compile(r"(?=\S*\d)[A-Za-z0-9][A-Za-z0-9/#-]{2,}")  # "7KXB219", "B-118", "4021"


# words an example's shape keeps as they are ("replace the timing belt" -> "replace the harbor belt")
_SHAPE_KEEP = {"a", "an", "the", "of", "on", "in", "at", "to", "for", "with", "and", "or", "by", "near", "my", "from",
               "&", "vs", "-", "off", "up"}
_SHAPE_TOKEN = re.compile(r"^([^\w&]*)(.*?)([^\w&]*)$")


def _shaped_token(tok: str, rng: random.Random, caps: list[str], lows: list[str], heads: list[str]) -> str:
    lead, core, trail = _SHAPE_TOKEN.match(tok).groups()
    if core.endswith("'s"):  # "Maya's" -> "Dijoux's"
        core, trail = core[:-2], "'s" + trail
    if not core or core.lower() in _SHAPE_KEEP:
        return tok
    if heads:  # an example's first lower-case word is its verb ("replace", "fix"): another example's
        return f"{lead}{rng.choice(heads)}{trail}"
    if core.isdigit():
        n = int(core)
        if len(core) == 4 and 1950 <= n <= 2099:  # a year stays a recent year
            new = str(rng.randint(1995, 2027))
        else:
            new = str(rng.randint(10 ** (len(core) - 1) if len(core) > 1 else 1, 10 ** len(core) - 1))
    elif any(c.isdigit() for c in core):  # a code keeps its letters and shape: "F-150" -> "F-382", "WO-58213"
        new = "".join(str(rng.randint(0, 9)) if c.isdigit() else c for c in core)
    elif core[0].isupper():
        r = rng.random()
        new = core if r < 0.3 else rng.choice(caps) if caps and r < 0.6 else rng.choice(novel_words()).capitalize()
    else:  # a lower-case word: kept, another example's, a common English one ("replace the timing chain") or,
        r = rng.random()  # as often, a made-up one: real values hold words the router has never seen
        new = core if r < 0.45 else rng.choice(lows) if lows and r < 0.7 else rng.choice(english_words()) \
            if r < 0.85 else rng.choice(novel_words()).lower()
    return f"{lead}{new}{trail}"


# function words and adverbs of Faker's English word list: no value is made of them
_NOT_CONTENT = {"about", "above", "across", "after", "again", "against", "ahead", "also", "although", "among", "around",
                "because", "before", "behind", "below", "beside", "besides", "between", "beyond", "both", "cause",
                "could", "despite", "during", "each", "either", "else", "enough", "even", "ever", "every", "everybody",
                "everyone", "everything", "from", "have", "hers", "herself", "himself", "however", "into", "itself",
                "like", "maybe", "might", "more", "most", "much", "must", "myself", "near", "neither", "never",
                "none", "nothing", "often", "once", "only", "other", "others", "ours", "ourselves", "over", "perhaps",
                "quite", "rather", "really", "same", "several", "should", "since", "some", "somebody", "someone",
                "something", "sometimes", "soon", "such", "than", "that", "their", "them", "themselves", "then",
                "there", "these", "they", "this", "those", "though", "through", "throughout", "together", "toward",
                "under", "until", "upon", "very", "what", "whatever", "when", "where", "whether", "which", "while",
                "whom", "whose", "will", "with", "within", "without", "would", "your", "yourself", "already", "almost",
                "away", "back", "down", "here", "just", "least", "less", "many", "still", "whole", "yeah", "already"}


@functools.lru_cache(maxsize=None)
def english_words() -> tuple[str, ...]:
    """Common English content words (Faker's en_US word list, less function words and adverbs): what a new word
    in a value shaped like an example is, so shaped values read as English ("fix a cracked mirror")."""
    from faker.providers.lorem.en_US import Provider

    return tuple(w for w in Provider.word_list if len(w) > 3 and w.isalpha() and w not in _NOT_CONTENT
                 and not w.endswith("ly"))


def shaped_values(examples: list[str], rng: random.Random, n: int) -> list[str]:
    """Up to `n` new values shaped like a field's examples: an example's function words kept, a year a recent
    year, a code's digits new, a capitalised word kept, another example's or a made-up one, other words kept,
    swapped between the examples or a common English word ("2015 Honda Accord" -> "2007 Ford Tillmann";
    "replace the timing belt" -> "fix the cracked belt", "replace the timing chain"). Where the provider knows nothing of a field ("Year, make and
    model of the car." read as any words), its values then look like what people will say ("a 2016
    Subaru Outback", not "gym")."""
    toks = [t for e in examples for t in e.split()]
    cores = [_SHAPE_TOKEN.match(t).group(2) for t in toks]
    caps = [c for c in cores if c[:1].isupper() and c.isalpha()]
    lows = [c for c in cores if c.isalpha() and c.islower() and c not in _SHAPE_KEEP]
    heads = [w[0] for w in map(str.split, examples)
             if len(w) > 1 and w[0].isalpha() and w[0].islower() and w[0] not in _SHAPE_KEEP]
    lows = [c for c in lows if c not in heads] or lows
    out: dict[str, None] = {}
    seen = set(examples)
    for _ in range(n * 4):
        if len(out) >= n:
            break
        words = rng.choice(examples).split()
        v = " ".join(_shaped_token(t, rng, caps, lows, heads if i == 0 and t in heads and len(words) > 1 else [])
                     for i, t in enumerate(words))
        if v not in seen:
            seen.add(v)
            out[v] = None
    return list(out)


# Kinds whose provider knows nothing of the field: with examples, most values are shaped like them
# (an ID half: "WO-58213" shows the garage's shape, and other shapes keep the router copying), and a
# place's examples a third ("I-90 near exit 12" -> "I-47 near exit 3": no street or city says a highway)
SHAPED_SHARE = {"summary": 0.6, "text": 0.8, "label": 0.8, "id": 0.5, "place": 0.3, "place_to": 0.3, "place_from": 0.3}


def provider_pool(kind: str, name: str, examples: list, size: int = 1500) -> list[str]:
    """A pool of values of a provider, seeded from the argument name: the field's examples and the
    common values repeated so they make about a third of all draws (a router should know "Paris"
    and "mom"; examples alone, without common values, a tenth: EXAMPLES_SHARE), then `size` distinct
    values of the long tail, so it also learns to copy a value from the request instead of recalling one."""
    rng = _rng("provider", kind, name)
    fake = _faker(rng, _LOCALES.get(kind, ("en_US",)))
    out = list(dict.fromkeys(str(e) for e in examples))
    shaped = kind in SHAPED_SHARE and bool(out)
    if shaped:
        out += shaped_values(out, _rng("shaped", kind, name), round(size * SHAPED_SHARE[kind]))
    seen = set(out)
    make = PROVIDERS[kind]
    for _ in range(size * 5):
        if len(out) >= size:
            break
        v = make(rng, fake).strip()
        if v and v not in seen and (kind in _FREE or _TIDY.fullmatch(v)):
            seen.add(v)
            out.append(v)
    common = list(dict.fromkeys([str(e) for e in examples] + ([] if shaped else COMMON.get(kind, []))))
    if common:
        share = COMMON_SHARE if COMMON.get(kind) and not shaped else EXAMPLES_SHARE
        repeat = max(1, round(share * len(out) / ((1 - share) * len(common))))
        out += common * repeat
    return out


def slot_values(tool_name: str, arg: str, schema: dict) -> dict:
    """The slot spec (a plain dict of the bank language) that draws and says an argument's values:
    {"forms": ...} for enums (natural words + synonyms), {"say": "time"|"date"|"datetime"|"number"}
    for values with spoken forms, {"provider": ..., "pool": examples} for strings copied verbatim;
    {"forms": ...} for booleans too (bool_forms); {} where the bank's own sampler already does right
    (patterns, lists, objects)."""
    kind = arg_kind(arg, schema)
    examples = [e for e in schema.get("examples", []) if isinstance(e, str)]
    if kind == "enum":
        return {"forms": enum_forms(schema["enum"], schema.get(SYNONYMS_KEY))}
    if kind == "number":
        unit = unit_of(arg, schema)
        return {"say": "number", **({"unit": unit} if unit else {})}
    if kind == "bool":
        return {"forms": bool_forms(arg, schema)}
    items = schema.get("items") or {}
    if kind == "list" and items.get("type") == "string" and "enum" not in items and "pattern" not in items:
        inner = arg_kind(arg[:-1] if arg.endswith("s") else arg, {**items, "description": schema.get("description")})
        return {"provider": inner} if inner in PROVIDERS else {}  # "attendees" -> people, "tags" -> words
    if schema.get("type") != "string":
        return {}
    pattern = schema.get("pattern")
    if kind in ("time", "date", "datetime"):
        rng = _rng(tool_name, arg)
        if pattern and not all(re.search(pattern, draw(kind, rng)) for _ in range(20)):
            return {}  # a pattern that is not plain ISO/HH:MM: the regex generator follows it
        return {"say": kind}
    if pattern and kind != "currency":
        return {}  # the bank's regex generator makes valid IDs (a currency code: real ones, filtered by it)
    if kind == "person":  # a name (a colleague's, a pet's) or a surname, not "mom"; a contact or recipient may be
        desc = (schema.get("description") or "").lower()
        if re.search(r"\b(last name|surname|family name)\b", desc):
            kind = "surname"
        elif re.search(r"\bname\b", f"{words_of(arg)} {desc}") and not re.search(r"\b(contact|recipient)\b",
                                                                                 f"{words_of(arg)} {desc}") \
                and "to" not in words_of(arg).split():
            kind = "person_name"
    if kind in ("text", "label") and examples and all(_ID_LIKE.fullmatch(e) for e in examples):
        kind = "id"  # a plate shown as "7KXB219" is a code, not words
    if schema.get(FREE_TEXT_KEY) and kind in ("text", "label", "query") and not (kind in SHAPED_SHARE and examples):
        kind = "message"  # free text shown by examples ("replace the timing belt") is shaped like them instead
    if kind == "message" and words_of(arg).split()[-1] in ("note", "memo", "reference") and re.search(
            r"\b(payment|money|transfer|paid|pay)\b", (schema.get("description") or "").lower()):
        kind = "purpose"  # a payment's note says what it is for: "rent", "pizza", not a message
    return {"provider": kind, **({"pool": examples} if examples else {})}


# ---------------------------------------------------------------------------------------------
# the seam for other sources (the teacher): sample a target call from a catalogue

def sample_call(catalogue, rng: random.Random, tool: Optional[str] = None, split: str = "train") -> tuple[str, dict]:
    """A realistic target call for `tool` (or a random tool of the catalogue): (tool name, arguments).
    Required arguments always, optional ones half the time, values from the same providers the
    generic data uses (the catalogue's bank where it has one). Deterministic for a seeded rng."""
    from toolrouter.data.bank import _Compiled, bank_path, read_bank

    key = (id(catalogue), catalogue.fingerprint())
    compiled = _COMPILED.get(key)
    if compiled is None:
        path = bank_path(catalogue)
        compiled = _COMPILED[key] = _Compiled(catalogue, read_bank(path) if path else None,
                                              str(path) if path else "generic")
    name = tool or rng.choice(list(catalogue.names))
    spec = catalogue[name]
    samplers = compiled.samplers[name]
    args: dict = {}
    for arg in spec.properties:
        if arg in spec.required or rng.random() < 0.5:
            args[arg], _ = samplers[arg].sample(rng, split, "", args)
    return name, args


def sample_negative(catalogue, rng: random.Random) -> tuple[str, str]:
    """A no_tool target to phrase: (negative kind, reason), over the kinds the generic data uses
    (near-miss reasons name an action no tool of the catalogue does)."""
    from toolrouter.data.draft import negative_reasons

    kind = rng.choice(["greeting", "out_of_scope", "missing_argument", "near_miss"])
    return kind, rng.choice(negative_reasons(catalogue)[kind])


_COMPILED: dict = {}
