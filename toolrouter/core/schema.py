"""What a tool is: a Pydantic model whose docstring and field descriptions are the one source
for the prompt text, the JSON schema, argument validation and eval.

    class TrackOrder(Tool):
        '''Get the status of an order.'''
        order_id: str = Field(description="The order ID, e.g. ORD-1234.", pattern=r"^ORD-\\d+$")

Every tool, whether declared in Python or loaded from OpenAI-style JSON, ends up as a `ToolSpec`:
its name, description, a clean JSON schema of its parameters (no titles, no $refs) and the
Pydantic model that validates arguments. JSON-loaded tools get a model built with `create_model`,
so both kinds validate the same way.
"""
from __future__ import annotations

import copy
import enum
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from toolrouter.errors import ToolrouterError, run_cli  # noqa: F401 (the error type every layer raises)

NO_TOOL = "no_tool"
FREE_TEXT_KEY = "x-free-text"

# A string argument the eval treats leniently (present and non-empty; token F1 reported).
FreeText = Annotated[str, Field(json_schema_extra={FREE_TEXT_KEY: True})]


class Tool(BaseModel):
    """Base class of a tool: subclass it, write a docstring, give every field a description."""

    model_config = ConfigDict(extra="forbid")
    # Set to override the derived snake_case name (dots are allowed: "math.factorial").
    tool_name: ClassVar[Optional[str]] = None


def snake_case(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


@dataclass(frozen=True, eq=False)
class ToolSpec:
    """A tool as the rest of the toolkit sees it: name, description, parameters schema, validator."""

    name: str
    description: str
    parameters: dict  # JSON schema of the arguments object, properties in declaration order
    model: type[BaseModel] = field(repr=False)

    @property
    def properties(self) -> dict:
        return self.parameters.get("properties", {})

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    def to_openai(self) -> dict:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ToolSpec) and self.to_openai() == other.to_openai()

    def __hash__(self) -> int:
        return hash(self.name)


# ---------------------------------------------------------------------------------------------
# Pydantic class -> ToolSpec

_KEEP = {"type", "description", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
         "pattern", "minLength", "maxLength", "items", "uniqueItems", "minItems", "maxItems",
         "default", "properties", "required", "additionalProperties", FREE_TEXT_KEY}


def clean_schema(schema: dict) -> dict:
    """Inline $refs, drop titles, fold Optional[X] into X, and keep only the keywords we support."""
    defs = schema.get("$defs", {})
    active: list[str] = []  # the $refs being inlined, outermost first

    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"].split("/")[-1]
            if ref in active:  # a model that contains itself: its schema has no finite inlined form
                raise ToolrouterError(f"{ref} refers to itself ({' -> '.join([*active, ref])}); a tool's arguments "
                                      "must be finite JSON: replace the recursive field with a flat one")
            active.append(ref)
            target = walk(copy.deepcopy(defs[ref]))
            active.pop()
            rest = {k: v for k, v in node.items() if k != "$ref"}
            target.update(walk(rest))
            return target
        node = dict(node)
        # Optional[X] = None: an omittable argument, not a nullable one.
        any_of = node.get("anyOf")
        if any_of and len(any_of) == 2 and {"type": "null"} in any_of:
            inner = next(s for s in any_of if s != {"type": "null"})
            node.pop("anyOf")
            node = {**inner, **node}
            if "$ref" in node:  # Optional[SomeEnum] / Optional[SomeModel]: inline the target too
                return walk(node)
        if node.get("default", 0) is None:
            node.pop("default")
        out = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: walk(sub) for name, sub in value.items()}
            elif key == "items":
                out[key] = walk(value)
            elif key in ("anyOf", "oneOf", "allOf"):
                out[key] = [walk(s) for s in value]
            elif key in _KEEP:
                out[key] = value
        if "enum" in out and "type" not in out:
            kinds = {type(v) for v in out["enum"]}
            if kinds == {str}:
                out["type"] = "string"
            elif kinds <= {int}:
                out["type"] = "integer"
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out

    return walk({k: v for k, v in schema.items() if k != "$defs"})


def spec_from_model(cls: type[Tool]) -> ToolSpec:
    """Build the ToolSpec of a Tool subclass: docstring = description, fields = parameters."""
    doc = " ".join((cls.__doc__ or "").split())
    params = clean_schema(cls.model_json_schema())
    params.setdefault("properties", {})
    params.setdefault("required", [])
    params = {"type": "object", "properties": params["properties"], "required": params["required"],
              "additionalProperties": False}
    return ToolSpec(name=cls.tool_name or snake_case(cls.__name__), description=doc, parameters=params, model=cls)


# ---------------------------------------------------------------------------------------------
# JSON schema -> ToolSpec (OpenAI-style definitions)

_SCALARS = {"string": str, "integer": int, "number": float, "boolean": bool}


def schema_problems(schema: Any, where: str) -> list[str]:
    """Every unsupported construct in an argument schema, each named by its place."""
    if not isinstance(schema, dict):
        return [f"{where}: schema must be an object, got {type(schema).__name__}"]
    problems = []
    kind = schema.get("type")
    if "enum" in schema:
        if not isinstance(schema["enum"], list) or not schema["enum"]:
            problems.append(f"{where}: 'enum' must be a non-empty list")
        elif kind not in (None, "string", "integer", "number", "boolean"):
            problems.append(f"{where}: enum of type {kind!r} is not supported")
        return problems
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            problems.append(f"{where}: unsupported argument type ({combinator}); use one type, "
                            "a Literal/Enum for choices, or Optional[X] = None for an omittable one")
    if kind in _SCALARS:
        return problems
    if kind == "array":
        if "items" not in schema:
            return problems + [f"{where}: arrays need 'items' (e.g. list[str])"]
        return problems + schema_problems(schema["items"], f"{where}[]")
    if kind == "object":
        props = schema.get("properties")
        if not isinstance(props, dict) or not props:
            return problems + [f"{where}: objects need 'properties' (free-form dicts are not supported)"]
        for name, sub in props.items():
            problems += schema_problems(sub, f"{where}.{name}")
        for name in schema.get("required", []):
            if name not in props:
                problems.append(f"{where}: required argument {name!r} is not in properties")
        return problems
    if kind is None and not problems:
        return [f"{where}: argument has no 'type' (Any or an untyped field is not supported; declare its type)"]
    if kind is not None:
        problems.append(f"{where}: unsupported argument type {kind!r} "
                        "(supported: string, integer, number, boolean, array, object, enum)")
    return problems


def parameters_problems(params: dict, where: str) -> list[str]:
    """Problems of a tool's top-level parameters object (which may have no properties)."""
    if params.get("type") != "object" or not isinstance(params.get("properties"), dict):
        return [f"{where}: 'parameters' must be an object schema with 'properties'"]
    problems = []
    for name, sub in params["properties"].items():
        problems += schema_problems(sub, f"{where}.{name}")
    for name in params.get("required", []):
        if name not in params["properties"]:
            problems.append(f"{where}: required argument {name!r} is not in properties")
    return problems


def _python_type(schema: dict, name: str) -> Any:
    """The Pydantic field type for a (checked) argument schema."""
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    kind = schema["type"]
    if kind in _SCALARS:
        constraints = {}
        for key, arg in (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"),
                         ("exclusiveMaximum", "lt"), ("pattern", "pattern"),
                         ("minLength", "min_length"), ("maxLength", "max_length")):
            if key in schema:
                constraints[arg] = schema[key]
        return Annotated[_SCALARS[kind], Field(**constraints)] if constraints else _SCALARS[kind]
    if kind == "array":
        inner = _python_type(schema["items"], name)
        constraints = {k2: schema[k1] for k1, k2 in (("minItems", "min_length"), ("maxItems", "max_length"))
                       if k1 in schema}
        return Annotated[list[inner], Field(**constraints)] if constraints else list[inner]
    return _model_from_schema(schema, f"{name}_object")


def _model_from_schema(schema: dict, model_name: str, field_type=None) -> type[BaseModel]:
    """A Pydantic model validating the object `schema` (`field_type(sub, name)` maps each property)."""
    field_type = field_type or _python_type
    required = set(schema.get("required", []))
    fields = {}
    for i, (prop, sub) in enumerate(schema.get("properties", {}).items()):
        info = {"description": sub.get("description")}
        name = prop
        # Pydantic refuses "_class", non-identifiers and names that shadow BaseModel ("schema"):
        # keep the JSON key as an alias.
        if not prop.isidentifier() or prop.startswith(("_", "model_")) or hasattr(BaseModel, prop):
            name, info["alias"] = f"arg{i}", prop
        typ = field_type(sub, prop)
        if prop in required:
            fields[name] = (typ, Field(**info))
        else:
            fields[name] = (Optional[typ], Field(default=sub.get("default"), **info))
    safe = re.sub(r"\W", "_", model_name) or "tool"
    return create_model(safe, __config__=ConfigDict(extra="forbid"), **fields)


def spec_from_openai(definition: Any, where: str) -> tuple[Optional[ToolSpec], list[str]]:
    """Read one OpenAI-style tool definition; return (spec or None, problems)."""
    if not isinstance(definition, dict):
        return None, [f"{where}: a tool definition must be an object"]
    fn = definition.get("function", definition) if definition.get("type", "function") == "function" else None
    if not isinstance(fn, dict) or "name" not in fn:
        return None, [f"{where}: expected {{\"type\": \"function\", \"function\": {{\"name\", \"description\", \"parameters\"}}}}"]
    name = fn["name"]
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    if not isinstance(params, dict):
        return None, [f"{where} ({name}): 'parameters' must be a JSON schema object"]
    params = copy.deepcopy(params)
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    params.setdefault("required", [])
    params.setdefault("additionalProperties", False)
    problems = parameters_problems(params, f"{where} ({name})")
    if problems:
        return None, problems
    model = _model_from_schema(params, str(name))
    return ToolSpec(name=str(name), description=str(fn.get("description") or ""), parameters=params,
                    model=model), []


def enum_choices(schema: dict) -> Optional[list]:
    """The allowed values of a choice argument (Literal/Enum), else None."""
    return list(schema["enum"]) if "enum" in schema else None


def is_enum_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, enum.Enum)
