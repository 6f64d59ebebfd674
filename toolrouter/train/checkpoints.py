"""What a run dir may lose and what it may delete: `--overwrite`, `--resume`, and which checkpoint is whole.

    clear_run_dir(run_dir)                      # --overwrite: only what a run wrote, never a foreign folder
    pick = pick_checkpoint(run_dir / "checkpoints")   # the newest COMPLETE checkpoint, and why others were skipped
    check_resume(run_dir, recipe)               # a finished run, or overrides that change the schedule

A kill can land in the middle of `Trainer._save_checkpoint`: the newest `checkpoint-N` then holds
the weights but not `optimizer.pt` (transformers resumes it silently with a fresh optimizer: final
loss 2.81 instead of 1.77 in the issue-18 probe), or only `config.json` ("Can't find a valid
checkpoint"). So a checkpoint counts only when the weights, optimizer, scheduler and trainer state
are all there and structurally whole: a torch `.pt` is a zip archive (its central directory is
written last, so a truncated one does not open), a safetensors file says in its header how long it
is. Checked without torch and without reading the tensors: milliseconds on any size.
Pure module: no torch.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from toolrouter.errors import ToolrouterError

# Everything `toolrouter train` / `merge` / `eval --run` writes at the top of a run dir (the model
# and tokenizer files come from save_pretrained, which names them itself).
RUN_FILES = {
    "run.json", "recipe.yaml", "catalogue.json", "catalogue.bank.yaml", "data_report.json", "loss.csv", "loss.png",
    "README.md",
    "eval.json", "eval.confusion.png", "training_args.bin",
    "config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json",
    "adapter_config.json", "adapter_model.safetensors", "pytorch_model.bin", "adapter_model.bin",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json",
    "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json",
}
RUN_DIRS = {"data", "checkpoints", "base", "merged"}
RUN_PATTERNS = (re.compile(r"model-\d+-of-\d+\.safetensors"), re.compile(r".+\.tmp(\.png)?"),
                re.compile(r"\.data\.(new|old)-\w+"))
# A run dir is recognised by run.json (finished) or by the inputs train writes before the first step.
RUN_MARKERS = ("run.json", "recipe.yaml")


def _ours(name: str) -> bool:
    return name in RUN_FILES or name in RUN_DIRS or any(p.fullmatch(name) for p in RUN_PATTERNS)


def is_run_dir(path: Path) -> bool:
    return any((path / m).is_file() and not (path / m).is_symlink() for m in RUN_MARKERS)


def clear_run_dir(run_dir: Path) -> list[str]:
    """--overwrite: remove what a run wrote in `run_dir` and nothing else. A folder that is not a
    run dir (no run.json / recipe.yaml) and not empty is refused; a symlink inside is removed as a
    link, never followed; files a run does not write are kept. Returns the names kept."""
    run_dir = Path(run_dir)
    if run_dir.is_symlink() or (run_dir.exists() and not run_dir.is_dir()):
        raise ToolrouterError(f"output_dir {run_dir} is {'a symlink' if run_dir.is_symlink() else 'a file'}, not a "
                              "run directory; --overwrite only clears a folder written by `toolrouter train`: "
                              "set output_dir to a new folder")
    if not run_dir.is_dir():
        return []
    entries = sorted(run_dir.iterdir())
    if not entries:
        return []
    if not is_run_dir(run_dir):
        shown = ", ".join(e.name for e in entries[:5]) + (" ..." if len(entries) > 5 else "")
        raise ToolrouterError(f"output_dir {run_dir} is not a run directory (no run.json or recipe.yaml) and is not "
                              f"empty ({shown}); --overwrite deletes only runs written by `toolrouter train`: set "
                              "output_dir to a new or empty folder, or remove that folder yourself")
    kept = []
    for entry in entries:
        if not _ours(entry.name):
            kept.append(entry.name)
        elif entry.is_symlink() or not entry.is_dir():
            entry.unlink()  # a link itself, never what it points at
        else:
            shutil.rmtree(entry)  # rmtree unlinks symlinks inside the tree, it does not follow them
    if kept:
        print(f"note: --overwrite kept {len(kept)} file(s) in {run_dir} that a run does not write: "
              f"{', '.join(kept[:10])}", file=sys.stderr)
    return kept


# ---------------------------------------------------------------------------------------------
# complete checkpoints

WEIGHTS = ("model.safetensors", "adapter_model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def _zip_problem(path: Path) -> Optional[str]:
    """A torch.save file is a zip archive; a truncated one has no central directory."""
    try:
        with zipfile.ZipFile(path) as z:
            if not z.namelist():
                return f"{path.name} is empty"
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f"{path.name} is not whole ({e})"
    return None


def _safetensors_problem(path: Path) -> Optional[str]:
    """A safetensors file: 8-byte header length, JSON header, then the tensors; the header's last
    data offset says how long the file must be."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return f"{path.name} is truncated"
            n = struct.unpack("<Q", head)[0]
            if n > size - 8:
                return f"{path.name} is truncated (header)"
            header = json.loads(f.read(n))
        end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    except (OSError, ValueError, KeyError, TypeError, IndexError, RecursionError) as e:
        return f"{path.name} is not whole ({type(e).__name__})"
    if size != 8 + n + end:
        return f"{path.name} is truncated ({size} of {8 + n + end} bytes)"
    return None


def checkpoint_problems(ckpt: Path) -> list[str]:
    """Why `ckpt` cannot be resumed from (empty when it is complete)."""
    problems = []
    weights = [ckpt / w for w in WEIGHTS if (ckpt / w).is_file()]
    if not weights:
        problems.append("no weights (model.safetensors / adapter_model.safetensors)")
    for w in weights:
        if w.suffix == ".safetensors":
            problem = _safetensors_problem(w)
        elif w.suffix == ".bin":
            problem = _zip_problem(w)
        else:  # a sharded index: every shard it names must be whole
            try:
                shards = set(json.loads(w.read_text(encoding="utf-8"))["weight_map"].values())
                problem = next((p for p in (_safetensors_problem(ckpt / s) if (ckpt / s).is_file()
                                            else f"{s} missing" for s in sorted(shards)) if p), None)
            except (OSError, ValueError, KeyError, AttributeError, RecursionError) as e:
                problem = f"{w.name} is not whole ({type(e).__name__})"
        if problem:
            problems.append(problem)
    for name in ("optimizer.pt", "scheduler.pt"):
        if not (ckpt / name).is_file():
            problems.append(f"no {name}")
        else:
            problem = _zip_problem(ckpt / name)
            if problem:
                problems.append(problem)
    state = ckpt / "trainer_state.json"
    try:
        step = json.loads(state.read_text(encoding="utf-8"))["global_step"]
        if not isinstance(step, int):
            raise TypeError
    except FileNotFoundError:
        problems.append("no trainer_state.json")
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        problems.append("trainer_state.json is not whole")
    return problems


@dataclass
class Pick:
    path: Optional[Path]
    skipped: dict[str, list[str]] = field(default_factory=dict)  # checkpoint name -> why


def _step(path: Path) -> int:
    return int(path.name.split("-", 1)[1])


def pick_checkpoint(ckpt_dir: Path) -> Pick:
    """The newest complete `checkpoint-N` under `ckpt_dir` and the newer ones skipped, with why."""
    found = sorted((p for p in Path(ckpt_dir).glob("checkpoint-*")
                    if p.is_dir() and not p.is_symlink() and re.fullmatch(r"checkpoint-\d+", p.name)),
                   key=_step, reverse=True) if Path(ckpt_dir).is_dir() else []
    pick = Pick(None)
    for ckpt in found:
        problems = checkpoint_problems(ckpt)
        if not problems:
            pick.path = ckpt
            break
        pick.skipped[ckpt.name] = problems
    return pick


def resume_checkpoint(run_dir: Path, main_process: bool = True) -> Path:
    """--resume: the newest complete checkpoint of `run_dir`, said on stderr with the ones skipped.
    The skipped (newer, incomplete) ones are deleted: training writes those steps again, and a stale
    half (new weights beside an old optimizer) must never look complete later. Only the main
    process speaks and deletes; every process picks the same checkpoint."""
    ckpt_dir = Path(run_dir) / "checkpoints"
    pick = pick_checkpoint(ckpt_dir)
    why = "; ".join(f"{name}: {', '.join(p)}" for name, p in pick.skipped.items())
    if pick.path is None:
        detail = f" (none is complete: {why})" if why else ""
        raise ToolrouterError(f"--resume: no checkpoint in {ckpt_dir} to continue from{detail}; "
                              "run without --resume (with --overwrite) to start the run again")
    if not main_process:
        return pick.path
    if pick.skipped:
        print(f"note: resuming from {pick.path.name}, the newest complete checkpoint; skipped (and removed) the "
              f"incomplete {why}", file=sys.stderr)
        for name in pick.skipped:
            shutil.rmtree(ckpt_dir / name)
    else:
        print(f"resuming from {pick.path.name}", file=sys.stderr)
    return pick.path


# ---------------------------------------------------------------------------------------------
# what a resume may change

# Keys that do not change what the checkpoint's weights, optimizer or schedule mean.
RESUME_SAFE = ("name", "output_dir", "eval.", "training.save_steps", "training.save_total_limit",
               "training.logging_steps", "training.eval_steps")


def _flat(obj, prefix: str = "") -> dict:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}


def resume_changes(saved: dict, new: dict) -> list[str]:
    """`key: old -> new` for every setting that differs between the run's saved recipe and the
    recipe given to --resume, leaving out those a resume may change (RESUME_SAFE)."""
    a, b = _flat(saved), _flat(new)
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k) and not any(k == s or (s.endswith(".") and k.startswith(s)) for s in RESUME_SAFE)]


def check_resume(run_dir: Path, recipe) -> bool:
    """Before --resume: False (nothing to do, said on stderr) for a finished run with the same
    settings; a ToolrouterError for settings that change what the checkpoint was trained with (the
    optimizer and schedule state would be resumed under the old values, silently)."""
    from toolrouter.train.recipe import load_recipe

    run_dir = Path(run_dir)
    saved_path = run_dir / "recipe.yaml"
    if saved_path.is_file():
        saved = load_recipe(saved_path)
        changes = resume_changes(saved.model_dump(mode="json"), recipe.model_dump(mode="json"))
        if changes:
            raise ToolrouterError(
                f"--resume with settings that differ from the run's {saved_path}:\n"
                + "\n".join(f"  - {c}" for c in changes)
                + "\nthe checkpoint's optimizer and learning-rate schedule were built for the saved values and would "
                  "go on under them; resume without these overrides, or start a new run (--overwrite, or another "
                  "output_dir)")
    if (run_dir / "run.json").is_file():
        print(f"{run_dir} is a finished run (run.json); nothing to resume. Start it over with --overwrite, or "
              "train a new run into another output_dir", file=sys.stderr)
        return False
    return True
