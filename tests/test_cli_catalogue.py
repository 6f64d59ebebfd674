"""`toolrouter catalogue list|show|export|validate`: output, exit codes, and every problem of a bad
catalogue on stderr with exit 2 and no traceback.

    .venv/bin/python -m pytest tests/test_cli_catalogue.py -q
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolrouter import load_catalogue
from toolrouter.cli import main

BAD_MODULE = '''
from typing import Any
from pydantic import Field
from toolrouter import Tool

class TrackOrder(Tool):
    """Get the status of an order."""
    order_id: str = Field(description="The order.")

class Again(Tool):
    """Duplicate."""
    tool_name = "track_order"

class Reserved(Tool):
    """Reserved."""
    tool_name = "no_tool"

class Loose(Tool):
    """Loose."""
    blob: Any = Field(description="Anything.")
    table: dict = Field(description="A dict.")
'''
BAD_PROBLEMS = ["tool 'track_order': duplicate name", "tool 'no_tool': the name 'no_tool' is reserved",
                "Loose (loose).blob: argument has no 'type'", "Loose (loose).table: objects need 'properties'"]


@pytest.fixture
def bad_module(tmp_path):
    path = tmp_path / "bad_tools.py"
    path.write_text(BAD_MODULE)
    return path


def run(capsys, *argv):
    code = main(["catalogue", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("car_control\t18 tools: set_temperature, adjust_temperature,")
    assert lines[1] == "support_router\t3 tools: track_order, request_refund, escalate"


def test_show_compact(capsys):
    code, out, err = run(capsys, "show", "support_router", "--mode", "compact")
    assert code == 0 and err == ""
    tools = [line for line in out.splitlines() if line.startswith("- ")]
    assert tools == ["- track_order(order_id: str /^ORD-\\d+$/): Get the status of an order.",
                     "- request_refund(order_id: str /^ORD-\\d+$/, reason: text): File a refund for an order.",
                     "- escalate(reason: text): Hand the conversation off to a human agent."]
    assert out == load_catalogue("support_router").render("compact") + "\n"


@pytest.mark.parametrize("mode", ["compact", "json", "template", "baked"])
def test_show_every_mode(capsys, mode):
    code, out, _ = run(capsys, "show", "car_control", "--mode", mode)
    assert code == 0 and out == load_catalogue("car_control").render(mode) + "\n"


def test_show_defaults_to_compact(capsys):
    assert run(capsys, "show", "car_control")[1] == load_catalogue("car_control").render("compact") + "\n"


def test_show_a_bad_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["catalogue", "show", "car_control", "--mode", "fancy"])
    assert e.value.code == 2 and "invalid choice: 'fancy'" in capsys.readouterr().err


def test_export_openai_loads_back_to_the_same_catalogue(capsys, tmp_path):
    code, out, err = run(capsys, "export", "car_control", "--format", "openai")
    assert code == 0 and err == ""
    tools = json.loads(out)
    assert len(tools) == 18 and all(t["type"] == "function" for t in tools)
    path = tmp_path / "car_control.json"
    path.write_text(out)
    assert load_catalogue(path) == load_catalogue("car_control")


def test_export_jsonschema(capsys):
    code, out, _ = run(capsys, "export", "support_router", "--format", "jsonschema")
    schema = json.loads(out)
    assert code == 0 and schema == load_catalogue("support_router").answer_schema()
    assert [o["properties"]["tool"]["const"] for o in schema["anyOf"]] == [
        "track_order", "request_refund", "escalate", "no_tool"]


def test_validate_ok(capsys, tmp_path):
    code, out, err = run(capsys, "validate", "support_router")
    assert code == 0 and err == ""
    assert out == "ok: support_router: 3 tools (track_order, request_refund, escalate)\n"
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(load_catalogue("support_router").to_openai()))
    assert run(capsys, "validate", str(path))[0] == 0


def test_validate_lists_every_problem(capsys, bad_module):
    code, out, err = run(capsys, "validate", str(bad_module))
    assert code == 2 and out == ""
    assert err.startswith(f"error: catalogue {bad_module}: 4 problem(s):\n")
    for problem in BAD_PROBLEMS:
        assert f"  - {problem}" in err, problem
    assert "Traceback" not in err


def test_validate_a_bad_json_file(capsys, tmp_path):
    path = tmp_path / "tools.json"
    path.write_text('[{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}},'
                    ' {"type": "function", "function": {"name": "b", "parameters": {"type": "object", '
                    '"properties": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}}}]')
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2 and "2 problem(s)" in err
    assert "tool 'a': duplicate name" in err and "[2] (b).x: unsupported argument type (anyOf)" in err
    path.write_text("[{")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and "not valid JSON" in err and str(path) in err


@pytest.mark.parametrize("argv, fragment", [
    (["show", "nope"], "unknown catalogue 'nope': built-in ones are car_control, support_router"),
    (["export", "missing/tools.json"], "catalogue file missing/tools.json not found"),
    (["validate", "tools.txt"], "catalogue file tools.txt not found"),
])
def test_errors_exit_2_with_one_message(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.startswith("error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_toolrouter_usage(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert all(f"\n    {command}" in out for command in ("catalogue", "data", "train", "merge", "eval", "route"))
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        main(["frobnicate"])
    assert e.value.code == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_console_script_prints_no_traceback(bad_module):
    script = Path(sys.executable).parent / "toolrouter"  # the venv's console script
    proc = subprocess.run([str(script), "catalogue", "validate", str(bad_module)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: catalogue ")
    for problem in BAD_PROBLEMS:
        assert problem in proc.stderr
