"""The built wheel works on its own: built once, installed into a fresh folder outside the source
tree, and run from an empty working directory (catalogues, banks, recipes, accelerate configs and
gold sets come from the package data, found through importlib.resources)."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIRS = ("catalogues", "recipes", "evals")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of the files git would ship: a build/ left in the checkout can carry
    # deleted modules into the wheel, and the checkout stays untouched.
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    # --no-build-isolation: offline, with the venv's setuptools; --no-deps: the venv has them.
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("toolrouter-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """The wheel installed into a fresh --target folder; returns the environment and an empty cwd."""
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The target first, then the venv's packages for the dependencies (and, after them, the
    # editable install's finder, which must lose: checked below).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
           "HF_HUB_OFFLINE": "1"}
    return {"target": target, "env": env, "cwd": tmp_path_factory.mktemp("empty"),
            "script": target / "bin" / "toolrouter"}


def run(installed, *argv, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed["script"]), *argv], cwd=installed["cwd"], env=installed["env"],
                          capture_output=True, text=True, timeout=timeout)


def test_wheel_holds_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *(f"toolrouter/{d}" for d in DATA_DIRS)], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    assert tracked and set(tracked) <= names, sorted(set(tracked) - names)
    for needed in ("toolrouter/recipes/accelerate/ddp.yaml", "toolrouter/catalogues/support_router.bank.yaml",
                   "toolrouter/evals/support_router.jsonl", "toolrouter/catalogues/car_control.py"):
        assert needed in names


def test_installed_wheel_lists_catalogues_and_builds_data(installed):
    where = subprocess.run([sys.executable, "-c", "import toolrouter.core.catalogue as c; print(c.PACKAGE_DIR)"],
                           cwd=installed["cwd"], env=installed["env"], capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(installed["target"]), where.stdout + where.stderr
    out = run(installed, "catalogue", "list")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("car_control\t18 tools:") and "support_router\t3 tools:" in out.stdout
    out = run(installed, "recipe", "path", "accelerate/ddp")  # what `accelerate launch --config_file $(...)` reads
    assert out.returncode == 0 and Path(out.stdout.strip()).is_relative_to(installed["target"]), out.stdout + out.stderr
    assert Path(out.stdout.strip()).is_file()
    out = run(installed, "data", "build", "--catalogue", "car_control", "--n", "200", "--out", "data/car")
    assert out.returncode == 0, out.stderr
    folder = installed["cwd"] / "data" / "car"
    report = json.loads((folder / "report.json").read_text())
    assert report["bank"].endswith("car_control.bank.yaml")  # the phrasing bank came from the wheel
    assert report["decontaminated_against"] == "evals/car_control.jsonl"  # and the gold set too
    assert sum(1 for _ in (folder / "train.jsonl").open()) == 160


def test_installed_wheel_trains_the_tiny_recipe(installed):
    out = run(installed, "train", "--recipe", "support_router_tiny", "training.max_steps=2", "data.n=300",
              "training.save_steps=2", timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    run_dir = installed["cwd"] / "runs" / "support_router_tiny"
    for name in ("run.json", "catalogue.json", "recipe.yaml", "README.md", "loss.csv", "loss.png",
                 "model.safetensors", "tokenizer.json", "data/test.gold.jsonl", "base/config.json"):
        assert (run_dir / name).is_file(), name
    run_info = json.loads((run_dir / "run.json").read_text())
    assert run_info["global_step"] == 2 and run_info["eval"]["gold"].endswith("evals/support_router.jsonl")
    assert Path(run_info["eval"]["gold"]).is_relative_to(installed["target"])
