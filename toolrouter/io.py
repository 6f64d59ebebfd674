"""Files in and out: atomic writes, JSONL with line numbers, YAML, and the run dir's run.json.

    write_json(run_dir / "run.json", run)                 # temp file + rename; 0644 like any file
    rows = read_jsonl(path)                               # [(line number, value)]; every bad line at once
    run, catalogue = read_run(run_dir)                    # run.json checked, catalogue.json matches its sha256

Every file toolrouter writes goes through `atomic_write`: a crash or a full disk never leaves a
half-written file under the final name, and the file gets the permissions a plain `open()` would
(0666 minus the umask; `tempfile.mkstemp` alone makes 0600). JSONL lines are split on "\\n" only:
`str.splitlines` also splits on U+2028, U+0085 and friends, which JSON strings may hold raw. Pure
module: no torch.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from toolrouter.core.catalogue import MODES
from toolrouter.errors import ToolrouterError, validation_message, yaml_message


# ---------------------------------------------------------------------------------------------
# writing

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Union[str, Path], write: Callable[[str], None], suffix: str = ".tmp") -> Path:
    """Call `write(tmp)` on a temp file beside `path`, then rename it to `path`; the temp file is
    removed on any failure. `suffix` is for writers that read the format off the name (savefig)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Union[str, Path], text: str) -> Path:
    """Write UTF-8 text atomically, with "\\n" line ends on every platform."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    return atomic_write(path, write)


def write_json(path: Union[str, Path], obj: Any, sort_keys: bool = False) -> Path:
    """Indented JSON (non-ASCII kept as is) and a final newline, written atomically."""
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n")


def write_files(folder: Union[str, Path], files: dict[str, str]) -> Path:
    """Write several text files into `folder` as one step: all go to temp names first and are
    renamed only when every one is written, so a failure leaves none of them behind."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            temps.append((tmp, folder / name))
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        for tmp, final in temps:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise
    return folder


MANIFEST = "manifest.json"


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def publish_folder(folder: Union[str, Path], files: dict[str, str]) -> Path:
    """Write `files` as ONE folder: into a hidden sibling `.NAME.new-XXXX` first, with manifest.json
    (each file's sha256, written last) beside them, then swapped into place in one rename (Linux
    RENAME_EXCHANGE; elsewhere the old folder is renamed aside for the instant between two renames).
    A kill at any moment leaves the old complete folder or the new one; leftovers of a killed write
    (our hidden siblings) are removed by the next one. An existing folder holding anything else than
    these files is refused: publishing it would delete what is not ours."""
    import shutil

    folder = Path(folder)
    parent, name = folder.parent, folder.name
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    old = sorted(parent.glob(f".{name}.old-*"))
    if old and not folder.exists():  # killed between the two renames of the fallback: put the old one back
        os.replace(old[-1], folder)
    for stale in parent.glob(f".{name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ToolrouterError(f"{folder} is {'a symlink' if folder.is_symlink() else 'a file'}, not a folder; "
                              "pass a new folder")
    if folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in files and p.name != MANIFEST)
        if foreign:
            raise ToolrouterError(f"{folder} holds files this output does not write ({', '.join(foreign[:5])}); "
                                  "writing the output replaces the whole folder: pass a new or empty folder")
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}.new-"))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        manifest = {"files": {}}
        for fname, text in files.items():
            data = text.encode("utf-8")
            with open(tmp / fname, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            manifest["files"][fname] = {"sha256": _sha256(data), "bytes": len(data)}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            f.write(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if folder.is_dir():
            if not _exchange(tmp, folder):
                aside = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}.old-"))
                os.rmdir(aside)  # a fresh unique name; rename() cannot replace a directory on every system
                os.replace(folder, aside)
                os.replace(tmp, folder)
                tmp = aside
            shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def folder_problems(folder: Union[str, Path]) -> list[str]:
    """Why a folder written by publish_folder is not the complete set its manifest.json lists: a file
    missing, changed (sha256) or not listed. No manifest at all is one problem."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
        listed = {n: m["sha256"] for n, m in manifest.items()}
    except FileNotFoundError:
        return [f"no {MANIFEST}"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return [f"{MANIFEST} is not readable"]
    problems = []
    for fname, digest in sorted(listed.items()):
        path = folder / fname
        if not path.is_file():
            problems.append(f"{fname} is missing")
        elif _sha256(path.read_bytes()) != digest:
            problems.append(f"{fname} does not match its sha256 in {MANIFEST} (changed or from another build)")
    extra = sorted(p.name for p in folder.iterdir() if p.name not in listed and p.name != MANIFEST
                   and p.suffix in (".jsonl", ".json"))
    problems += [f"{n} is not part of this set (not in {MANIFEST})" for n in extra]
    return problems


def output_problems(path: Optional[Union[str, Path]], flag: str) -> list[str]:
    """Why a file cannot be written at `path` (checked before the work that produces it): a folder
    there, or a file where a parent folder should be. Empty when fine (or path is None)."""
    if path is None:
        return []
    path = Path(path)
    if path.is_dir():
        return [f"{flag} {path} is a folder; give a file name, e.g. {path / 'report.json'}"]
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return [f"{flag} {path}: {parent} is a file, not a folder; pick another path"]
            if not os.access(parent, os.W_OK | os.X_OK):
                return [f"{flag} {path}: the folder {parent} is not writable; pick another path"]
            break
    return []


def jsonl_text(rows) -> str:
    """One compact JSON value per line, non-ASCII kept as is."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


# ---------------------------------------------------------------------------------------------
# reading

def jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every non-blank line, split on "\\n" only (see the module docstring)."""
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield n, line


def _fail(problems: list[str], where: str) -> None:
    if len(problems) == 1:
        raise ToolrouterError(problems[0])
    raise ToolrouterError(f"{len(problems)} problem(s) in {where}:\n" + "\n".join(f"  - {p}" for p in problems))


def read_jsonl(path: Union[str, Path], problems: Optional[list[str]] = None, what: str = "JSONL",
               fix: str = "") -> list[tuple[int, Any]]:
    """(line number, value) of every non-blank line of a JSONL file. Each bad line is a problem
    `FILE:LINE: not valid JSON (...)` (plus `fix`, when given). With a `problems` list they are
    appended to it (to report with the caller's own); without one they are raised together as a
    ToolrouterError. A missing or non-UTF-8 file is one problem."""
    path = Path(path)
    own: list[str] = []
    rows: list[tuple[int, Any]] = []
    suffix = f"; {fix}" if fix else ""
    if not path.is_file():
        own.append(f"{what} file {path} not found{suffix}")
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            own.append(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}){suffix}")
            text = ""
        for n, line in jsonl_lines(text):
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                own.append(f"{path}:{n}: not valid JSON ({e.msg} at column {e.colno}){suffix}")
            except RecursionError:
                own.append(f"{path}:{n}: JSON nested too deeply to read (over ~1000 levels){suffix}")
    if problems is not None:
        problems += own
    elif own:
        _fail(own, str(path))
    return rows


def read_json(path: Union[str, Path], fix: str = "") -> dict:
    """A JSON object from a file, or a ToolrouterError naming the file (and `fix`)."""
    path = Path(path)
    suffix = f"; {fix}" if fix else ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToolrouterError(f"{path} not found{suffix}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ToolrouterError(f"{path}: not readable JSON ({e}){suffix}") from None
    except RecursionError:
        raise ToolrouterError(f"{path}: JSON nested too deeply to read (over ~1000 levels){suffix}") from None
    if not isinstance(data, dict):
        raise ToolrouterError(f"{path}: expected a JSON object, got {type(data).__name__}{suffix}")
    return data


def read_yaml(path: Union[str, Path], source: Optional[str] = None) -> Any:
    """The YAML document of a file (None when empty), or a ToolrouterError with the line."""
    import yaml

    source = source or str(path)
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ToolrouterError(yaml_message(source, e)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ToolrouterError(f"{source}: cannot read it: {getattr(e, 'strerror', None) or e}") from None


# ---------------------------------------------------------------------------------------------
# the run dir

# The run card (README.md) keeps its metrics between these markers: train writes them, eval fills them.
METRICS_START, METRICS_END = "<!-- metrics -->", "<!-- /metrics -->"

class RunInfo(BaseModel):
    """run.json: what `toolrouter train` (or merge) says about a finished run. Written last, so its
    presence marks a finished run. Keys beyond these (losses, device, world size ...) are kept."""

    model_config = ConfigDict(extra="allow")

    name: Optional[str] = None
    mode: Literal[MODES]
    catalogue: Optional[str] = None
    catalogue_sha256: Optional[str] = None
    base_model: Optional[str] = None
    adapter: bool = False
    base_dir: Optional[str] = None  # the scratch base inside the run (tiny recipes), relative
    data_dir: str = "data"
    max_new_tokens: Optional[int] = None
    eval: Optional[dict] = None  # the recipe's eval section: gold, min, max, batch_size, max_new_tokens


def write_run(run_dir: Union[str, Path], run: dict) -> Path:
    """Check `run` against RunInfo and write run_dir/run.json."""
    RunInfo.model_validate(run)
    return write_json(Path(run_dir) / "run.json", run)


def read_run(run_dir: Union[str, Path]):
    """(RunInfo, Catalogue) of a run dir: run.json validated, and its catalogue.json snapshot
    checked against run.json's catalogue_sha256, so a run is always prompted with the tools it was
    trained on. Any problem is a ToolrouterError naming the file and the fix."""
    from toolrouter.core.catalogue import load_catalogue

    run_dir = Path(run_dir)
    path = run_dir / "run.json"
    if not path.is_file():
        raise ToolrouterError(f"{run_dir} is not a run directory (no run.json); pass a finished run dir "
                              "(runs/NAME) written by `toolrouter train`")
    raw = read_json(path, "it is written by `toolrouter train`")
    try:
        run = RunInfo.model_validate(raw)
    except ValidationError as e:
        raise ToolrouterError(validation_message(str(path), e, RunInfo)) from None
    snapshot = run_dir / "catalogue.json"
    if not snapshot.is_file():
        raise ToolrouterError(f"run {run_dir} has no catalogue.json (the snapshot of the tools it was trained on); "
                              "retrain, or copy it from the catalogue with `toolrouter catalogue export`")
    catalogue = load_catalogue(snapshot)
    catalogue.name = run.catalogue or catalogue.name
    if run.catalogue_sha256 and catalogue.fingerprint() != run.catalogue_sha256:
        raise ToolrouterError(f"{snapshot}: its tools do not match run.json's catalogue_sha256 (the snapshot was "
                              "edited after training); restore it or retrain the run")
    return run, catalogue
