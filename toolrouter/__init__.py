"""toolrouter: tools declared as Pydantic models -> a small fine-tuned router that answers one JSON
tool call, or an explicit no_tool.

The pure core (schema, catalogue, parse) imports no torch; training, eval and routing import their
heavy libraries inside the functions that need them.
"""
from importlib import import_module

# name -> the module that defines it. Imported on first use (PEP 562), so `import toolrouter` and
# `toolrouter --help` load nothing they do not use (pydantic included), and `Router` brings no torch.
_EXPORTS = {
    "MODES": "toolrouter.core.catalogue", "Catalogue": "toolrouter.core.catalogue",
    "CatalogueError": "toolrouter.core.catalogue", "load_catalogue": "toolrouter.core.catalogue",
    "DispatchError": "toolrouter.formats.parse", "ParseResult": "toolrouter.formats.parse",
    "dispatch": "toolrouter.formats.parse", "format_call": "toolrouter.formats.parse",
    "dispatch_all": "toolrouter.formats.parse", "format_calls": "toolrouter.formats.parse",
    "format_no_tool": "toolrouter.formats.parse", "parse_tool_call": "toolrouter.formats.parse",
    "NO_TOOL": "toolrouter.core.schema", "FreeText": "toolrouter.core.schema", "Tool": "toolrouter.core.schema",
    "ToolSpec": "toolrouter.core.schema", "ToolrouterError": "toolrouter.errors",
    "Router": "toolrouter.serve.router",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'toolrouter' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
