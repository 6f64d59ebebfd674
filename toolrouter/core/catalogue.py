"""A catalogue: an ordered set of tools with unique names, and the only place prompt text is made.

Modes of the system prompt:
  compact   one line per tool: signature (choices, bounds, defaults visible) and description
  json      the OpenAI-style tool list as JSON inside the system prompt
  template  answer instructions only; the tool list goes to the chat template (`tools=`)
  baked     one fixed generic prompt, no catalogue at all: the tools live in the weights
"""
from __future__ import annotations

import hashlib
import importlib.util
from importlib import resources
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

from toolrouter.core.schema import (FREE_TEXT_KEY, NO_TOOL, Tool, ToolrouterError, ToolSpec, parameters_problems,
                     spec_from_model, spec_from_openai)

MODES = ("compact", "json", "template", "baked")
# Built-in catalogues, recipes and gold sets ship inside the package (found the same way from a wheel).
PACKAGE_DIR = Path(str(resources.files("toolrouter")))
BUILTIN_DIR = PACKAGE_DIR / "catalogues"

ANSWER_RULES = (
    "Answer with exactly one JSON object and nothing else:\n"
    '{"tool": "<name>", "arguments": {...}} to call one tool, or\n'
    '{"tool": "no_tool", "reason": "<why>"} when no tool fits the request or a required argument is missing.'
)
BAKED_PROMPT = "You are a tool router. " + ANSWER_RULES


class CatalogueError(ToolrouterError):
    def __init__(self, source: str, problems: Sequence[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"catalogue {source}: {len(self.problems)} problem(s):\n{lines}")


class Catalogue:
    """An ordered set of tools with unique, valid names. Build it from Tool classes or ToolSpecs."""

    def __init__(self, tools: Iterable[Union[type[Tool], ToolSpec]], name: str = "custom",
                 source: Optional[str] = None, module: Any = None):
        self.name = name
        self.source = source or name
        self.module = module  # the Python module it was loaded from, if any (phrasing banks etc.)
        specs, problems = [], []
        for i, tool in enumerate(tools):
            if isinstance(tool, ToolSpec):
                specs.append(tool)
            elif isinstance(tool, type) and issubclass(tool, Tool):
                try:
                    spec = spec_from_model(tool)
                except ToolrouterError as e:
                    problems.append(f"{tool.__name__}: {e}")
                    continue
                problems += _python_tool_problems(tool, spec)
                problems += parameters_problems(spec.parameters, f"{tool.__name__} ({spec.name})")
                specs.append(spec)
            else:
                problems.append(f"item {i}: {tool!r} is not a toolrouter.Tool subclass")
        problems += name_problems([spec.name for spec in specs])
        if problems:
            raise CatalogueError(self.source, problems)
        self.tools: tuple[ToolSpec, ...] = tuple(specs)
        self._by_name = {s.name: s for s in specs}

    # --- container -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> ToolSpec:
        return self._by_name[name]

    def get(self, name: str) -> Optional[ToolSpec]:
        return self._by_name.get(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.tools]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalogue) and self.to_openai() == other.to_openai()

    def __repr__(self) -> str:
        return f"Catalogue({self.name!r}, tools={self.names})"

    def subset(self, names: Iterable[str], name: Optional[str] = None) -> "Catalogue":
        """A catalogue of the named tools, in the order given (for shuffled/partial prompts)."""
        return Catalogue([self._by_name[n] for n in names], name=name or self.name, source=self.source)

    # --- exports ---------------------------------------------------------------------------
    def to_openai(self) -> list[dict]:
        return [s.to_openai() for s in self.tools]

    def fingerprint(self) -> str:
        """sha256 of the canonical tool list: a run records it, and eval checks it."""
        blob = json.dumps(self.to_openai(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def answer_schema(self) -> dict:
        """JSON schema of one answer: a call to any tool (keys in schema order) or no_tool."""
        options = [{"type": "object",
                    "properties": {"tool": {"const": s.name}, "arguments": s.parameters},
                    "required": ["tool", "arguments"], "additionalProperties": False}
                   for s in self.tools]
        options.append({"type": "object",
                        "properties": {"tool": {"const": NO_TOOL}, "reason": {"type": "string"}},
                        "required": ["tool", "reason"], "additionalProperties": False})
        return {"anyOf": options}

    # --- prompt text -------------------------------------------------------------------------
    def render(self, mode: str = "compact") -> str:
        """The system prompt for `mode` (see the module docstring)."""
        if mode == "compact":
            lines = [compact_line(s) for s in self.tools]
            return ("You are a tool router. Tools:\n" + "\n".join(lines) + "\n"
                    "A '?' marks an optional argument; set[...] is a list in any order.\n" + ANSWER_RULES)
        if mode == "json":
            return ("You are a tool router. Tools (JSON schema):\n"
                    + json.dumps(self.to_openai(), ensure_ascii=False) + "\n" + ANSWER_RULES)
        if mode == "template":
            return "You are a tool router. Use the tools provided. " + ANSWER_RULES
        if mode == "baked":
            return BAKED_PROMPT
        raise ToolrouterError(f"unknown prompt mode {mode!r}; choose one of: {', '.join(MODES)}")

    def template_tools(self, mode: str) -> Optional[list[dict]]:
        """The `tools=` list for the chat template: only in `template` mode."""
        return self.to_openai() if mode == "template" else None


def name_problems(names: Iterable[Any]) -> list[str]:
    """Reserved, malformed and duplicate tool names, each named."""
    problems, seen = [], set()
    for name in names:
        if name == NO_TOOL:
            problems.append(f"tool {name!r}: the name 'no_tool' is reserved for the no-call answer; rename it")
        elif not _valid_name(name):
            problems.append(f"tool {name!r}: not a valid name (letters, digits, '_' and dots "
                            "between identifiers, e.g. 'math.factorial')")
        if isinstance(name, str):
            if name in seen:
                problems.append(f"tool {name!r}: duplicate name; each tool needs its own name")
            seen.add(name)
    return problems


def _valid_name(name: str) -> bool:
    return isinstance(name, str) and bool(name) and all(part.isidentifier() for part in name.split("."))


def _python_tool_problems(cls: type[Tool], spec: ToolSpec) -> list[str]:
    problems = []
    if not spec.description:
        problems.append(f"{cls.__name__}: no docstring; the class docstring is the tool's description")
    for fname, finfo in cls.model_fields.items():
        if not finfo.description:
            problems.append(f"{cls.__name__}.{fname}: no description; add Field(description=...)")
    return problems


# ---------------------------------------------------------------------------------------------
# compact signatures

def type_text(schema: dict) -> str:
    """A short, model-readable type: str, text, int 1..10, "a"|"b", set["x"|"y"], {k: T}."""
    if "enum" in schema:
        return "|".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        inner = type_text(schema.get("items", {}))
        return f"set[{inner}]" if schema.get("uniqueItems") else f"list[{inner}]"
    if kind == "object":
        req = set(schema.get("required", []))
        parts = [f"{k}{'' if k in req else '?'}: {type_text(v)}" for k, v in schema.get("properties", {}).items()]
        return "{" + ", ".join(parts) + "}"
    base = {"string": "str", "integer": "int", "number": "number", "boolean": "bool"}.get(kind, str(kind))
    if kind == "string" and schema.get(FREE_TEXT_KEY):
        base = "text"
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and hi is not None:
        base += f" {lo}..{hi}"
    else:  # one-sided or exclusive bounds spelled out: ">0", ">=1", "<1", "<=10"
        for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
            if key in schema:
                base += f" {sign}{schema[key]}"
    if "pattern" in schema:
        base += f" /{schema['pattern']}/"
    return base


def compact_line(spec: ToolSpec) -> str:
    required = set(spec.required)
    args = []
    for name, schema in spec.properties.items():
        text = f"{name}{'' if name in required else '?'}: {type_text(schema)}"
        if "default" in schema:
            text += " = " + json.dumps(schema["default"], ensure_ascii=False)
        args.append(text)
    desc = spec.description.rstrip(".")
    return f"- {spec.name}({', '.join(args)}): {desc}."


# ---------------------------------------------------------------------------------------------
# loading

def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_catalogue(name_or_path: Union[str, Path, Catalogue]) -> Catalogue:
    """Load a catalogue: a built-in name (`catalogues/<name>.py`), a Python module path, or a JSON
    file of OpenAI-style tool definitions. Every problem is reported at once (CatalogueError)."""
    if isinstance(name_or_path, Catalogue):
        return name_or_path
    text = str(name_or_path)
    path = Path(text)
    if not path.exists() and "/" not in text and path.suffix == "":
        path = BUILTIN_DIR / f"{text}.py"
        if not path.exists():
            raise ToolrouterError(f"unknown catalogue {text!r}: built-in ones are {', '.join(builtin_names())}; "
                                  "or pass the path of a .py module or an OpenAI-style .json file")
    if not path.is_file():
        raise ToolrouterError(f"catalogue file {text} not found; pass a built-in name "
                              f"({', '.join(builtin_names())}) or an existing .py/.json path")
    if path.suffix == ".json":
        return catalogue_from_json(path)
    if path.suffix == ".py":
        return _catalogue_from_module(path)
    raise ToolrouterError(f"catalogue {path}: unsupported file type {path.suffix!r}; use .py or .json")


MAX_DEFINITION_DEPTH = 64  # a tool's schema nests a few levels; deeper ones overflow the recursive checks


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def catalogue_from_openai(definitions: Any, source: str, name: Optional[str] = None) -> Catalogue:
    """A catalogue from a list of OpenAI-style tool definitions (already parsed JSON)."""
    if not isinstance(definitions, list):
        raise CatalogueError(source, ["top level must be a list of {\"type\": \"function\", \"function\": {...}}"])
    if not definitions:
        raise CatalogueError(source, ["no tools: the list is empty; a router needs at least one tool"])
    for i, definition in enumerate(definitions):
        if json_depth(definition) > MAX_DEFINITION_DEPTH:
            raise CatalogueError(source, [f"[{i}]: nested deeper than {MAX_DEFINITION_DEPTH} levels; a tool's "
                                          "parameters are a few levels deep: flatten the schema"])
    specs, problems, names = [], [], []
    for i, definition in enumerate(definitions):
        spec, errs = spec_from_openai(definition, f"[{i}]")
        problems += errs
        if spec:
            specs.append(spec)
        fn = definition.get("function", definition) if isinstance(definition, dict) else None
        if isinstance(fn, dict) and "name" in fn:
            names.append(fn["name"])
    if problems:  # name problems too, so one error lists everything (Catalogue checks names again)
        problems += name_problems(names)
        raise CatalogueError(source, problems)
    return Catalogue(specs, name=name or Path(source).stem, source=source)


def catalogue_from_json(path: Path) -> Catalogue:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CatalogueError(str(path), [f"not valid JSON: {e}"]) from None
    except RecursionError:
        raise CatalogueError(str(path), ["JSON nested too deeply to read (over ~1000 levels)"]) from None
    return catalogue_from_openai(data, str(path), name=path.stem)


def _catalogue_from_module(path: Path) -> Catalogue:
    mod_name = f"_toolrouter_catalogue_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # a user's module: report, don't crash (sys.exit() too)
        sys.modules.pop(mod_name, None)
        raise CatalogueError(str(path), [f"importing the module failed: {type(e).__name__}: {e}"]) from None
    tools = getattr(module, "CATALOGUE", None)
    if tools is not None and not isinstance(tools, (list, tuple, Catalogue)):
        raise CatalogueError(str(path), [f"CATALOGUE must be a list of toolrouter.Tool classes, got "
                                         f"{type(tools).__name__}"])
    if tools is None:
        tools = [v for v in vars(module).values()
                 if isinstance(v, type) and issubclass(v, Tool) and v is not Tool and v.__module__ == mod_name]
    if isinstance(tools, Catalogue):
        tools = tools.tools
    if not tools:
        raise CatalogueError(str(path), ["no tools found: define toolrouter.Tool subclasses or a CATALOGUE list"])
    return Catalogue(tools, name=path.stem, source=str(path), module=module)
