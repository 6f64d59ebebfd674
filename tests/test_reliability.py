"""Issue 18: hostile inputs and kills. Every probe ends in exit 0 or exit 2 with one message (no
traceback); nothing outside a run dir is deleted; a kill leaves the old or the new complete state.
The hostile files are generated here, small. Kill tests that train a real process are `slow`."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolrouter.cli import main

REPO = Path(__file__).resolve().parent.parent
TINY = ["model.tiny.layers=1", "model.tiny.hidden=32", "model.tiny.heads=2", "model.tiny.vocab_size=320"]


def cli(capsys, *argv) -> tuple[int, str]:
    """Run `toolrouter ARGV` in-process: (exit code, stderr); a traceback fails the test."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def recipe_file(tmp_path, rows_dir, out, steps=6, save=3) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(f"catalogue: support_router\ndata: {{path: {rows_dir}}}\noutput_dir: {out}\n"
                    f"training: {{max_steps: {steps}, lr: 3.0e-3, batch_size: 4, save_steps: {save}, "
                    "logging_steps: 1, warmup: 0}\n")
    return path


# ---------------------------------------------------------------------------------------------
# 1. --overwrite deletes only what a run wrote

def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path, rows_dir, capsys):
    out = tmp_path / "some_dir"
    (out / "sub").mkdir(parents=True)
    (out / "important.txt").write_text("keep me")
    (out / "sub" / "notes.md").write_text("keep me too")
    code, err = cli(capsys, "train", "--recipe", recipe_file(tmp_path, rows_dir, out), "--overwrite", *TINY)
    assert code == 2 and "is not a run directory" in err and "set output_dir to a new or empty folder" in err
    assert (out / "important.txt").read_text() == "keep me" and (out / "sub" / "notes.md").is_file()


def test_overwrite_removes_run_files_only_and_never_follows_links(tmp_path):
    from toolrouter.train.checkpoints import clear_run_dir

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("x")
    run = tmp_path / "run"
    (run / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    (run / "checkpoints" / "checkpoint-3" / "link").symlink_to(outside)
    (run / "data").symlink_to(outside)  # a link named like ours: unlinked, its target kept
    for name in ("run.json", "recipe.yaml", "model.safetensors", ".loss.csv.abc123.tmp"):
        (run / name).write_text("{}")
    (run / "my_notes.txt").write_text("mine")
    kept = clear_run_dir(run)
    assert kept == ["my_notes.txt"] and sorted(p.name for p in run.iterdir()) == ["my_notes.txt"]
    assert (outside / "precious.txt").read_text() == "x"


def test_overwrite_refuses_a_symlinked_or_file_output_dir(tmp_path, capsys):
    from toolrouter.errors import ToolrouterError
    from toolrouter.train.checkpoints import clear_run_dir

    target = tmp_path / "target"
    target.mkdir()
    (target / "run.json").write_text("{}")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(ToolrouterError, match="is a symlink"):
        clear_run_dir(link)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ToolrouterError, match="is a file"):
        clear_run_dir(tmp_path / "file")
    assert (target / "run.json").is_file()


# ---------------------------------------------------------------------------------------------
# 2. resume: the newest complete checkpoint; finished runs and schedule changes

def fake_checkpoint(folder: Path, step: int) -> Path:
    """A structurally complete checkpoint (real zip / safetensors layouts, no torch)."""
    import zipfile

    ckpt = folder / f"checkpoint-{step}"
    ckpt.mkdir(parents=True)
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (ckpt / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    for name in ("optimizer.pt", "scheduler.pt"):
        with zipfile.ZipFile(ckpt / name, "w") as z:
            z.writestr("archive/data.pkl", b"x" * 100)
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return ckpt


@pytest.mark.parametrize("damage", ["config_only", "no_optimizer", "truncated_optimizer", "truncated_weights",
                                    "truncated_state", "no_scheduler"])
def test_pick_checkpoint_skips_an_incomplete_newest(tmp_path, damage):
    from toolrouter.train.checkpoints import pick_checkpoint

    ckpts = tmp_path / "checkpoints"
    fake_checkpoint(ckpts, 3)
    new = fake_checkpoint(ckpts, 6)
    if damage == "config_only":
        for f in new.iterdir():
            f.unlink()
        (new / "config.json").write_text("{}")
    elif damage == "no_optimizer":
        (new / "optimizer.pt").unlink()
    elif damage == "no_scheduler":
        (new / "scheduler.pt").unlink()
    else:
        name = {"truncated_optimizer": "optimizer.pt", "truncated_weights": "model.safetensors",
                "truncated_state": "trainer_state.json"}[damage]
        data = (new / name).read_bytes()
        (new / name).write_bytes(data[:len(data) // 2])
    pick = pick_checkpoint(ckpts)
    assert pick.path == ckpts / "checkpoint-3" and list(pick.skipped) == ["checkpoint-6"]
    assert pick_checkpoint(tmp_path / "none").path is None


def test_resume_changes_name_the_schedule_keys():
    from toolrouter.train.checkpoints import resume_changes

    saved = {"training": {"lr": 0.001, "max_steps": 6, "save_steps": 3}, "output_dir": "a", "eval": {"min": {}}}
    new = {"training": {"lr": 0.01, "max_steps": 6, "save_steps": 9}, "output_dir": "b", "eval": {"min": {"x": 1}}}
    assert resume_changes(saved, new) == ["training.lr: 0.001 -> 0.01"]


class Crash(Exception):
    pass


def test_kill_mid_save_resumes_from_the_newest_complete_checkpoint(tmp_path, rows_dir, capsys):
    """A run dies after checkpoint-4 was half-written (no optimizer.pt, as a kill inside
    _save_checkpoint leaves it): --resume says so, takes checkpoint-2 and reaches max_steps; a second
    --resume of the finished run trains nothing; changed overrides are refused."""
    from transformers import TrainerCallback

    from toolrouter.errors import ToolrouterError
    from toolrouter.train.recipe import load_recipe
    from toolrouter.train.trainer import train

    class DieAtStep5(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 5:
                raise Crash()

    path = recipe_file(tmp_path, rows_dir, tmp_path / "run", steps=6, save=2)
    recipe = load_recipe(path, TINY)
    with pytest.raises(Crash):
        train(recipe, callbacks=[DieAtStep5()])
    ckpts = recipe.run_dir / "checkpoints"
    (ckpts / "checkpoint-4" / "optimizer.pt").unlink()
    capsys.readouterr()
    with pytest.raises(ToolrouterError, match=r"(?s)training.lr: 0.003 -> 0.01.*resume without these overrides"):
        train(load_recipe(path, [*TINY, "training.lr=0.01"]), resume=True)
    run = train(recipe, resume=True)
    err = capsys.readouterr().err
    assert "resuming from checkpoint-2" in err and "checkpoint-4: no optimizer.pt" in err
    assert run["global_step"] == 6
    weights = (recipe.run_dir / "model.safetensors").read_bytes()
    assert train(recipe, resume=True) == json.loads((recipe.run_dir / "run.json").read_text())
    assert "finished run" in capsys.readouterr().err
    assert (recipe.run_dir / "model.safetensors").read_bytes() == weights  # not trained further
    for ckpt in ckpts.glob("checkpoint-*"):  # every checkpoint left is whole
        assert (ckpt / "optimizer.pt").is_file()


def test_resume_with_no_complete_checkpoint_names_each_one(tmp_path, rows_dir, capsys):
    out = tmp_path / "run"
    fake_checkpoint(out / "checkpoints", 3)
    (out / "checkpoints" / "checkpoint-3" / "scheduler.pt").unlink()
    code, err = cli(capsys, "train", "--recipe", recipe_file(tmp_path, rows_dir, out), "--resume", *TINY)
    assert code == 2 and "none is complete: checkpoint-3: no scheduler.pt" in err


@pytest.mark.slow
def test_sigkill_during_training_always_leaves_a_resumable_run(tmp_path, rows_dir):
    """A real SIGKILL at a random moment after the first checkpoint (often inside a save, with
    save_steps=1): --resume always finishes the run."""
    path = recipe_file(tmp_path, rows_dir, tmp_path / "run", steps=30, save=1)
    cmd = [sys.executable, "-m", "toolrouter.train.trainer", "--recipe", str(path), *TINY]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    first = tmp_path / "run" / "checkpoints" / "checkpoint-3"
    deadline = time.time() + 180
    while not first.is_dir() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.37)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "run" / "run.json").exists()
    out = subprocess.run(cmd + ["--resume"], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads((tmp_path / "run" / "run.json").read_text())["global_step"] == 30


# ---------------------------------------------------------------------------------------------
# 3. outputs that belong together are published together

def build_cmd(out, n, seed):
    return [sys.executable, "-m", "toolrouter.data.pipeline", "build", "--catalogue", "support_router",
            "--n", str(n), "--seed", str(seed), "--out", str(out)]


def test_data_build_killed_at_any_moment_leaves_old_or_new_complete_set(tmp_path):
    """SIGKILL a `data build` over an existing set at growing delays: the folder is always one
    complete set (its manifest verifies; its report says old or new), never a mix."""
    from toolrouter.io import folder_problems

    out = tmp_path / "d"
    assert subprocess.run(build_cmd(out, 100, 0), cwd=REPO, capture_output=True).returncode == 0
    seen = set()
    # n=20000 takes ~2 s here: the kills land in start-up, generation, writing and the swap.
    for delay in (0.3, 0.8, 1.3, 1.6, 1.8, 2.0, 2.2, 4.0):
        proc = subprocess.Popen(build_cmd(out, 20000 + int(delay * 10), 1), cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert folder_problems(out) == []
        rows = json.loads((out / "report.json").read_text())["splits"]
        seen.add(sum(s["rows"] for s in rows.values()))
    print("sets seen after the kills (rows):", sorted(seen))
    assert 100 in seen  # the old set survived at least the early kills
    assert subprocess.run(build_cmd(out, 100, 2), cwd=REPO, capture_output=True).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # the killed builds' hidden folders are gone


def test_train_refuses_a_mixed_or_half_written_data_set(tmp_path, capsys):
    out = tmp_path / "d"
    assert main(["data", "build", "--catalogue", "support_router", "--n", "60", "--out", str(out)]) == 0
    (out / "test.gold.jsonl").write_text((out / "test.gold.jsonl").read_text().replace("test-00000", "stale"))
    (tmp_path / "r.yaml").write_text(f"catalogue: support_router\ndata: {{path: {out}}}\n"
                                     f"output_dir: {tmp_path / 'run'}\n")
    code, err = cli(capsys, "train", "--recipe", tmp_path / "r.yaml", *TINY)
    assert code == 2 and "test.gold.jsonl does not match its sha256" in err and "toolrouter data build" in err
    (out / "manifest.json").unlink()
    code, err = cli(capsys, "train", "--recipe", tmp_path / "r.yaml", *TINY)
    assert code == 2 and "no manifest.json" in err
    assert not (tmp_path / "run").exists()


def test_data_build_refuses_a_folder_with_foreign_files(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "mine.txt").write_text("x")
    code, err = cli(capsys, "data", "build", "--catalogue", "support_router", "--n", "60", "--out", tmp_path / "d")
    assert code == 2 and "mine.txt" in err and (tmp_path / "d" / "mine.txt").is_file()


# ---------------------------------------------------------------------------------------------
# 4. requests: too long for the context, too long in characters, invalid Unicode

@pytest.fixture(scope="module")
def run_dir(tiny_model, tiny_tokenizer, tmp_path_factory):
    """A run dir as training writes it, with the random-init tiny model (512 positions)."""
    from conftest import write_tiny_run

    return write_tiny_run(tmp_path_factory.mktemp("runs") / "support_router_tiny", tiny_model, tiny_tokenizer, 24)


@pytest.fixture(scope="module")
def router(run_dir):
    from toolrouter.serve.router import Router

    return Router.load(run_dir, device="cpu")


def test_router_refuses_what_does_not_fit_and_repairs_lone_surrogates(router, one_thread):
    """Per request, never the batch: a prompt past max_position_embeddings and an over-long request
    come back invalid `too_long`, never a call; a lone surrogate is replaced and routed."""
    from toolrouter.serve.router import MAX_REQUEST_CHARS

    context = router.model.config.max_position_embeddings
    too_long = " ".join(f"w{i}" for i in range(context))  # at least one token per word
    huge = "x" * (MAX_REQUEST_CHARS + 1)
    results = router.route_batch(["where is ORD-1?", too_long, "lost \ud800 order ORD-2", huge, "hello"])
    assert [r.error == "too_long" for r in results] == [False, True, False, True, False]
    assert f"past the model's {context} positions" in results[1].message
    assert f"{MAX_REQUEST_CHARS + 1:,} characters" in results[3].message
    assert router.answer_texts([too_long, "hello"])[0] == ""


def test_context_refusal_arithmetic():
    from toolrouter.serve.router import clean_request, context_refusal

    assert context_refusal(384, 128, 512) is None
    assert context_refusal(385, 128, 512).error == "too_long"
    assert context_refusal(10**6, 128, None) is None  # a model that does not say: nothing to check
    assert clean_request("a\ud800b") == ("a\ufffdb", None)
    assert clean_request("ok \u00e9") == ("ok \u00e9", None)


def test_route_answers_every_stdin_line(run_dir, capsys, monkeypatch, one_thread):
    """Undecodable bytes and an over-long line each get their own answer; the loop goes on."""
    import io

    from toolrouter.serve.router import MAX_REQUEST_CHARS

    raw = b"where is ORD-1?\n\xff\xfe broken bytes\n" + b"y" * (MAX_REQUEST_CHARS + 5) + b"\nhello\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    assert main(["route", "--run", str(run_dir), "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 4 and "Traceback" not in err
    assert answers[2]["kind"] == "invalid" and answers[2]["error"] == "too_long"


def test_route_device_checks(run_dir, capsys):
    import torch

    code, err = cli(capsys, "route", "--run", run_dir, "--device", "foo", "hi")
    assert code == 2 and "--device 'foo': not a device torch knows" in err
    if not torch.cuda.is_available():
        code, err = cli(capsys, "route", "--run", run_dir, "--device", "cuda", "hi")
        assert code == 2 and "no CUDA GPU" in err and "--device cpu" in err


def test_broken_chat_template_is_one_message(run_dir, tmp_path, capsys):
    import shutil

    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    bad = "{% for m in messages %}{{ m.content }"
    if (broken / "chat_template.jinja").is_file():
        (broken / "chat_template.jinja").write_text(bad)
    config = json.loads((broken / "tokenizer_config.json").read_text())
    if "chat_template" in config:
        config["chat_template"] = bad
        (broken / "tokenizer_config.json").write_text(json.dumps(config))
    code, err = cli(capsys, "route", "--run", broken, "--device", "cpu", "hi")
    assert code == 2 and "chat template does not render" in err and "TemplateSyntaxError" in err


# ---------------------------------------------------------------------------------------------
# 5. hostile files for every command: exit 2, one message naming the file, no traceback

DEEP_OBJ = '{"a":' * 300 + "1" + "}" * 300
DEEP_SCHEMA = {"type": "object"}
_node = DEEP_SCHEMA
for _ in range(300):
    _node["properties"] = {"x": {"type": "object"}}
    _node = _node["properties"]["x"]
DEEP_TOOLS = [{"type": "function", "function": {"name": "t", "description": "d",
                                                 "parameters": {"type": "object", "properties": {"p": DEEP_SCHEMA}}}}]
GOLD = {"id": "g1", "prompt": "where is ORD-1?", "target": {"tool": "track_order", "arguments": {"order_id": "ORD-1"}}}
PRED = {"id": "g1", "output": '{"tool":"no_tool","reason":"x"}'}
RUN = {"name": "r", "mode": "compact", "catalogue": "support_router"}

# name -> (files to write {name: text}, argv, what the message must say)
PROBES = {
    "catalogue_deep_schema": ({"c.json": json.dumps(DEEP_TOOLS)}, ["catalogue", "validate", "c.json"],
                              "nested deeper than 64 levels"),
    "catalogue_3000_levels": ({"c.json": "[" * 3000 + "]" * 3000}, ["catalogue", "validate", "c.json"],
                              "nested too deeply"),
    "catalogue_not_a_list": ({"c.py": "CATALOGUE = 5\n"}, ["catalogue", "validate", "c.py"],
                             "CATALOGUE must be a list"),
    "catalogue_self_reference": ({"c.py": "from __future__ import annotations\nfrom typing import Optional\n"
                                          "from toolrouter import Tool\nclass Node(Tool):\n    '''A node.'''\n"
                                          "    child: Optional[Node] = None\n"},
                                 ["catalogue", "validate", "c.py"], "Node refers to itself"),
    "catalogue_sys_exit": ({"c.py": "import sys\nsys.exit(3)\n"}, ["catalogue", "validate", "c.py"],
                           "importing the module failed: SystemExit"),
    "catalogue_empty_json": ({"c.json": "[]"}, ["catalogue", "validate", "c.json"], "the list is empty"),
    "data_build_empty_catalogue": ({"c.json": "[]"}, ["data", "build", "--catalogue", "c.json", "--out", "d"],
                                   "the list is empty"),
    "gold_deep_tools": ({"g.jsonl": json.dumps({**GOLD, "tools": DEEP_TOOLS}) + "\n", "p.jsonl": json.dumps(PRED)},
                        ["eval", "--gold", "g.jsonl", "--predictions", "p.jsonl"], "g.jsonl:1"),
    "gold_3000_levels": ({"g.jsonl": "[" * 3000 + "]" * 3000 + "\n", "p.jsonl": json.dumps(PRED)},
                         ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl"],
                         "g.jsonl:1: JSON nested too deeply"),
    "predictions_3000_levels": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": '{"a":' * 3000 + "1" + "}" * 3000},
                                ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions",
                                 "p.jsonl"], "p.jsonl:1: JSON nested too deeply"),
    "import_deep_tools": ({"i.jsonl": json.dumps({"messages": [{"role": "user", "content": "hi"},
                                                               {"role": "assistant", "content": "x"}],
                                                  "tools": DEEP_TOOLS}) + "\n"},
                          ["data", "import", "i.jsonl", "--out", "o"], "nested deeper than 64 levels"),
    "import_3000_levels": ({"i.jsonl": DEEP_OBJ.replace("300", "3000") * 1 + "\n" + "[" * 3000 + "]" * 3000 + "\n"},
                           ["data", "import", "i.jsonl", "--catalogue", "support_router", "--out", "o"],
                           "line 2: JSON nested too deeply"),
    "import_empty": ({"i.jsonl": ""}, ["data", "import", "i.jsonl", "--catalogue", "support_router", "--out", "o"],
                     "no rows to import"),
    "compare_string_metric": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED),
                               "old.json": json.dumps({"metrics": {"exact_match_rate": "abc"}})},
                              ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                               "--compare", "old.json"], "metrics.exact_match_rate: expected"),
    "compare_string_value": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED),
                              "old.json": json.dumps({"metrics": {"exact_match_rate": {"value": "x"}}})},
                             ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                              "--compare", "old.json"], "metrics.exact_match_rate: expected"),
    "report_json_is_a_dir": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED), "adir/x": ""},
                             ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                              "--report-json", "adir"], "--report-json adir is a folder"),
    "report_json_under_a_file": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED), "afile": "x"},
                                 ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions",
                                  "p.jsonl", "--report-json", "afile/r.json"], "afile is a file, not a folder"),
    "min_nan": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED)},
                ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                 "--min", "exact_match_rate=nan"], "a threshold is a rate from 0 to 1"),
    "batch_size_0": ({"g.jsonl": json.dumps(GOLD), "p.jsonl": json.dumps(PRED)},
                     ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                      "--batch-size", "0"], "--batch-size must be >= 1"),
    "jsonl_u2028_is_one_line": ({"g.jsonl": json.dumps({**GOLD, "prompt": "where\u2028is\u0085ORD-1?"},
                                                       ensure_ascii=False) + "\n",
                                 "p.jsonl": json.dumps(PRED) + "\n", "p2.jsonl": "{\n"},
                                ["eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions",
                                 "p2.jsonl"], "p2.jsonl:1: not valid JSON"),
}
BFCL_Q = json.dumps({"id": "simple_0", "question": [[{"role": "user", "content": "area of base 10 height 5"}]],
                     "function": [{"name": "area", "description": "area", "parameters": {
                         "type": "dict", "properties": {"base": {"type": "integer"}}, "required": ["base"]}}]}) + "\n"
BFCL_A = json.dumps({"id": "simple_0", "ground_truth": [{"area": {"base": [10]}}]}) + "\n"
for _k, (_q, _a, _msg) in {"empty_questions": ("", BFCL_A, "q.json is empty"),
                           "binary_questions": ("\x00\udcff\udcfe", BFCL_A, "q.json: not UTF-8 text"),
                           "empty_answers": (BFCL_Q, "", "a.json is empty"),
                           "binary_answers": (BFCL_Q, "\udcff", "a.json: not UTF-8 text")}.items():
    PROBES[f"bfcl_{_k}"] = ({"q.json": _q, "a.json": _a, "p.jsonl": json.dumps({"id": "simple_0", "output": "{}"})},
                            ["eval", "--bfcl", "q.json", "--bfcl-answers", "a.json", "--predictions", "p.jsonl"], _msg)
for _k, _v in {"list": "[]", "binary": "\x00\udcff", "truncated": '{"name": "r", "mo', "eval_abc":
               json.dumps({**RUN, "eval": "abc"}), "max_new_tokens_abc": json.dumps({**RUN, "max_new_tokens": "abc"}),
               "3000_levels": '{"a":' * 3000 + "1" + "}" * 3000}.items():
    PROBES[f"eval_run_json_{_k}"] = ({"run/run.json": _v}, ["eval", "--run", "run"], "run/run.json")
PROBES["eval_run_is_a_file"] = ({"run": "x"}, ["eval", "--run", "run"], "run is not a run directory")


@pytest.mark.parametrize("name", sorted(PROBES))
def test_hostile_file_is_exit_2_with_one_message(name, tmp_path, capsys, monkeypatch):
    files, argv, message = PROBES[name]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(text.encode("utf-8", "surrogateescape"))
    monkeypatch.chdir(tmp_path)
    code, err = cli(capsys, *argv)
    assert code == 2 and err.startswith("error: ") and message in err, err
    assert not (tmp_path / "d").exists() and not (tmp_path / "o").exists()  # nothing half-written


def test_jsonl_splits_on_newline_only(tmp_path, capsys, monkeypatch):
    """U+2028 / U+0085 inside a JSON string, written raw (ensure_ascii=False), is one line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.jsonl").write_text(json.dumps({**GOLD, "prompt": "where\u2028is\u0085ORD-1?"},
                                                 ensure_ascii=False) + "\n" + json.dumps({**GOLD, "id": "g2"}) + "\n")
    (tmp_path / "p.jsonl").write_text(json.dumps(PRED) + "\n" + json.dumps({**PRED, "id": "g2"}) + "\n")
    code, err = cli(capsys, "eval", "--catalogue", "support_router", "--gold", "g.jsonl", "--predictions", "p.jsonl",
                    "--report-json", "r.json")
    assert code == 0 and json.loads((tmp_path / "r.json").read_text())["metrics"]["exact_match_rate"]["denominator"] == 2


# ---------------------------------------------------------------------------------------------
# 6. the parser: any string, bounded time

def test_parser_fuzz_never_raises_and_stays_in_budget():
    """Hypothesis-generated answers (JSON-shaped and raw text): parse_tool_call returns a result and
    stays under a generous 250 ms each (~0.1 ms typical; the budget only catches a runaway input, on a
    shared CPU where other processes may stall this one)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from toolrouter import load_catalogue, parse_tool_call

    cat = load_catalogue("support_router")
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    values = st.recursive(leaves, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                                       max_size=4), max_leaves=40)
    envelope = st.fixed_dictionaries({"tool": st.sampled_from([*cat.names, "no_tool", "x"])},
                                     optional={"arguments": values, "reason": st.text(max_size=10), "z": values})
    answers = st.one_of(st.text(max_size=300), envelope.map(json.dumps), values.map(json.dumps),
                        envelope.map(lambda e: json.dumps(e)[:-3]))

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(answers)
    def check(text):
        start = time.perf_counter()
        result = parse_tool_call(text, cat)
        assert time.perf_counter() - start < 0.25
        assert result.kind in ("call", "no_tool", "invalid")

    check()


def test_parser_on_5000_keys_is_bounded():
    from toolrouter import load_catalogue, parse_tool_call

    cat = load_catalogue("support_router")
    text = json.dumps({"tool": "track_order", "arguments": {"order_id": "ORD-1",
                                                            **{f"k{i:04d}": i * 100 for i in range(5000)}}})
    assert len(text) > 80_000
    start = time.perf_counter()
    result = parse_tool_call(text, cat)
    # 11 ms before the key-count check, ~4 ms after (idle machine); the bound is generous for shared CPUs
    assert time.perf_counter() - start < 0.25
    assert result.error == "unexpected_argument"
