"""The command tree: `toolrouter --help` imports no command module (it stays instant), and each
command's options are declared once, shared by `toolrouter CMD` and `python -m toolrouter.<module>`."""
import subprocess
import sys

import pytest

from toolrouter.cli import COMMANDS, main


def test_help_imports_no_command_module_and_no_pydantic():
    code = ("import sys; from toolrouter.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('pydantic', 'torch', 'yaml')\n"
            "         or m.startswith(('toolrouter.train', 'toolrouter.data', 'toolrouter.eval', 'toolrouter.serve'))]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert all(f"\n    {name}" in out.stdout for name in COMMANDS)


@pytest.mark.parametrize("command, module", [("train", "toolrouter.train.trainer"), ("eval", "toolrouter.eval.evaluate"),
                                             ("route", "toolrouter.serve.router"), ("data", "toolrouter.data.pipeline")])
def test_a_command_and_its_module_entry_share_their_options(command, module, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    via_cli = capsys.readouterr().out
    with pytest.raises(SystemExit):
        __import__(module, fromlist=["main"]).main(["--help"])
    via_module = capsys.readouterr().out
    options = lambda text: text[text.index("options:"):]  # noqa: E731
    assert options(via_cli) == options(via_module) and via_cli.startswith(f"usage: toolrouter {command} ")


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train"])
    assert e.value.code == 2 and "the following arguments are required: --recipe" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["eval", "--gold", "g.jsonl"])
    assert e.value.code == 2 and "one of the arguments --model --predictions --run is required" in capsys.readouterr().err


def test_recipe_command_finds_shipped_recipes_and_accelerate_configs(capsys):
    import yaml

    assert main(["recipe", "list"]) == 0
    listed = capsys.readouterr().out.split()
    assert "support_router_tiny" in listed and "accelerate/ddp" in listed and "accelerate/fsdp" in listed
    assert main(["recipe", "path", "accelerate/ddp"]) == 0
    path = capsys.readouterr().out.strip()
    assert path.endswith("ddp.yaml") and "distributed_type" in yaml.safe_load(open(path))
    assert main(["recipe", "show", "support_router_tiny"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["name"] == "support_router_tiny"
    assert main(["recipe", "path", "accelerate/nope"]) == 2
    err = capsys.readouterr().err
    assert "accelerate config 'accelerate/nope' not found" in err and "accelerate/ddp" in err and "Traceback" not in err
