"""toolrouter: tools declared as Pydantic models -> a small fine-tuned router that answers one JSON
tool call, or an explicit no_tool.

The pure core (schema, catalogue, parse) imports no torch; training, eval and routing import their
heavy libraries inside the functions that need them.
"""
from toolrouter.core.catalogue import MODES, Catalogue, CatalogueError, load_catalogue
from toolrouter.formats.parse import (DispatchError, ParseResult, dispatch, format_call, format_no_tool, parse_tool_call)
from toolrouter.core.schema import NO_TOOL, FreeText, Tool, ToolrouterError, ToolSpec

__all__ = [
    "MODES", "NO_TOOL", "Catalogue", "CatalogueError", "DispatchError", "FreeText", "ParseResult",
    "Router", "Tool", "ToolSpec", "ToolrouterError", "dispatch", "format_call", "format_no_tool",
    "load_catalogue", "parse_tool_call",
]


def __getattr__(name: str):
    # `toolrouter.Router` is imported on first use, so `import toolrouter` stays light (no torch).
    if name == "Router":
        from toolrouter.serve.router import Router

        return Router
    raise AttributeError(f"module 'toolrouter' has no attribute {name!r}")
