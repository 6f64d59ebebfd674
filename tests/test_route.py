"""Router and `toolrouter route`, on a run dir written here with the random-init tiny model."""
import io
import json
import subprocess
import sys

import pytest

from toolrouter import DispatchError, ParseResult, ToolrouterError, load_catalogue
from toolrouter.serve.router import Router, main


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def run_dir(tiny_model, tiny_tokenizer, tmp_path_factory):
    """runs/support_router_tiny as training writes it: model, tokenizer, run.json, catalogue.json."""
    from conftest import write_tiny_run

    return write_tiny_run(tmp_path_factory.mktemp("runs") / "support_router_tiny", tiny_model, tiny_tokenizer, 300)


@pytest.fixture(scope="module")
def router(run_dir):
    return Router.load(run_dir)


def test_load_takes_catalogue_mode_and_budget_from_the_run(router):
    assert router.constrained is True  # the default
    assert router.mode == "compact" and router.max_new_tokens == 300
    assert router.catalogue == load_catalogue("support_router")


def test_route_and_route_batch(router):
    requests = ["where is my order ORD-1234?", "hi", "refund ORD-99 please, it broke"]
    results = router.route_batch(requests)
    assert [type(r) for r in results] == [ParseResult] * 3
    assert all(r.kind in ("call", "no_tool") for r in results)  # constrained: valid even untrained
    assert [router.route(r) for r in requests] == results  # batching changes nothing, order kept
    history = [{"role": "user", "content": "hello"},
               {"role": "assistant", "content": '{"tool":"no_tool","reason":"hi"}'}]
    messages = router.messages("track ORD-1", history)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == router.catalogue.render("compact") and messages[-1]["content"] == "track ORD-1"
    assert router.route("track ORD-1", history=history).ok
    with pytest.raises(ToolrouterError, match="histories: 1 for 2 requests"):
        router.route_batch(["a", "b"], histories=[None])


def test_unconstrained_switch(run_dir):
    free = Router.load(run_dir, constrained=False, max_new_tokens=8)
    assert free.constrained is False and free.max_new_tokens == 8
    assert free.route("where is my order ORD-1234?").kind == "invalid"  # random weights, no grammar


def test_dispatch_fills_defaults_and_refuses_non_calls(tiny_model, tiny_tokenizer):
    router = Router(tiny_model, tiny_tokenizer, load_catalogue("car_control"), mode="baked")
    calls = []
    handlers = {"activate_defroster": lambda **kw: calls.append(kw) or "defrosting"}
    result = ParseResult(kind="call", tool="activate_defroster", arguments={"defroster_zone": "rear"})
    assert router.dispatch(result, handlers) == "defrosting"
    assert calls == [{"defroster_zone": "rear", "duration_minutes": 10}]
    with pytest.raises(DispatchError, match="no_tool"):
        router.dispatch(ParseResult(kind="no_tool", tool="no_tool", reason="hi"), handlers)
    with pytest.raises(DispatchError, match="no handler registered for tool 'lock_doors'"):
        router.dispatch(ParseResult(kind="call", tool="lock_doors", arguments={"lock_state": "lock"}), handlers)
    # End to end: whatever the untrained router picks is a call its handler can take, or a no_tool.
    everything = {name: (lambda name: lambda **kw: (name, kw))(name) for name in router.catalogue.names}
    for result in router.route_batch(["defrost the windscreen", "lock the car", "hello"]):
        if result.kind == "call":
            tool, kwargs = router.dispatch(result, everything)
            assert tool == result.tool and set(result.arguments) <= set(kwargs)
        else:
            assert result.kind == "no_tool"


def test_load_a_model_without_a_run_needs_the_catalogue(tiny_model, tiny_tokenizer, tmp_path):
    tiny_model.save_pretrained(tmp_path)
    tiny_tokenizer.save_pretrained(tmp_path)
    with pytest.raises(ToolrouterError, match="pass catalogue="):
        Router.load(tmp_path)
    router = Router.load(tmp_path, catalogue="car_control", mode="baked")
    assert router.mode == "baked" and router.max_new_tokens == 128 and router.route("hi").ok


def test_cli_routes_one_request(run_dir, capsys):
    assert main(["--run", str(run_dir), "where is my order ORD-1234?"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and json.loads(out[0])["kind"] in ("call", "no_tool")


def test_cli_reads_stdin_line_by_line(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("where is ORD-1?\n\nhello there\n"))
    assert main(["--run", str(run_dir), "--max-new-tokens", "5"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2  # the blank line is not a request
    assert all(line["kind"] == "invalid" and line["error"] == "truncated" for line in lines)  # 5 tokens: cut off
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n"))
    assert main(["--run", str(run_dir), "--no-constrained", "--max-new-tokens", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "invalid"


def test_cli_missing_run_exits_2_with_a_clear_message(tmp_path, capsys):
    from toolrouter.cli import main as cli_main

    missing = str(tmp_path / "runs" / "nope")
    assert cli_main(["route", "--run", missing, "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --run {missing}: no such run directory; pass runs/<name>")
    assert "Traceback" not in err
    # As a module too (what `toolrouter route` runs); nothing heavy is imported before the check.
    proc = subprocess.run([sys.executable, "-m", "toolrouter.serve.router", "--run", missing, "hi"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such run directory" in proc.stderr and "Traceback" not in proc.stderr


def test_importing_toolrouter_stays_torch_free():
    code = ("import sys, toolrouter; from toolrouter import Router; import toolrouter.infer.generate, toolrouter.formats.grammar; "
            "print(Router.__name__, any(m in sys.modules for m in ('torch', 'transformers', 'xgrammar')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["Router", "False"], proc.stderr
