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
    for ckpt in ckpts.iterdir():  # every checkpoint left is whole
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
