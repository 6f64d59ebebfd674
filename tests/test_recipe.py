"""Recipes: every shipped file validates, problems are reported all at once with key path and fix,
overrides are dotted YAML scalars checked like the file."""
import re
from pathlib import Path

import pytest

from toolrouter.train.recipe import RECIPES_DIR, Recipe, load_recipe, parse_override, shipped_recipes
from toolrouter.core.schema import ToolrouterError

SHIPPED = ["car_control", "car_control_multiturn_tiny", "car_control_tiny", "support_router", "support_router_qlora",
           "support_router_tiny"]


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, overrides=()) -> list[str]:
    with pytest.raises(ToolrouterError) as e:
        load_recipe(path, list(overrides))
    return str(e.value).splitlines()


def test_shipped_recipes_are_the_documented_six():
    assert shipped_recipes() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_recipe_loads_and_documents_its_commands(name):
    recipe = load_recipe(name)
    assert recipe.name == name and recipe.run_dir == Path("runs") / name
    assert Path(recipe.eval.gold).is_file(), recipe.eval.gold
    header = (RECIPES_DIR / f"{name}.yaml").read_text().split("\n\n")[0]
    assert f"toolrouter train --recipe {name}" in header
    assert "accelerate launch --config_file $(toolrouter recipe path accelerate/ddp)" in header
    # The resolved recipe round-trips: what a run dir stores is itself a valid recipe.
    import yaml

    assert Recipe.model_validate(yaml.safe_load(recipe.to_yaml())) == recipe


def test_shipped_recipes_say_what_the_issue_asks():
    sr = load_recipe("support_router")
    assert sr.model.base == "Qwen/Qwen2.5-0.5B-Instruct" and sr.quantization is None
    assert sr.lora.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    assert load_recipe("support_router_qlora").quantization.quant_type == "nf4"
    assert load_recipe("car_control").mode == "baked"
    for name in ("support_router_tiny", "car_control_tiny"):
        assert load_recipe(name).is_tiny and load_recipe(name).lora is None  # full FT over a scratch base


def test_accelerate_configs_ship():
    import yaml

    for name in ("ddp", "fsdp"):
        config = yaml.safe_load((RECIPES_DIR / "accelerate" / f"{name}.yaml").read_text())
        assert config["distributed_type"] in ("MULTI_GPU", "FSDP")


def test_defaults_fill_in(tmp_path):
    recipe = load_recipe(write(tmp_path, "catalogue: car_control\n", "mine.yaml"))
    assert recipe.name == "mine" and recipe.run_dir == Path("runs/mine")
    assert recipe.eval.gold.endswith("evals/car_control.jsonl")
    assert recipe.eval.min == {"exact_match_rate": 0.9} and recipe.eval.max == {"false_tool_call_rate": 0.05}
    assert recipe.model.base == "tiny" and recipe.model.tiny.layers == 2
    assert recipe.training.bf16 == "auto" and recipe.lora is None


def test_a_catalogue_files_gold_set_beside_it_is_the_default(tmp_path):
    from toolrouter.core.catalogue import BUILTIN_DIR

    (tmp_path / "tools.py").write_text((BUILTIN_DIR / "car_control.py").read_text())
    recipe = load_recipe(write(tmp_path, f"catalogue: {tmp_path / 'tools.py'}\n", "a.yaml"))
    assert recipe.eval.gold.endswith("evals/tools.jsonl")  # no file beside it: the shipped path (checked at eval)
    (tmp_path / "tools.jsonl").write_text("")
    recipe = load_recipe(write(tmp_path, f"catalogue: {tmp_path / 'tools.py'}\n", "b.yaml"))
    assert recipe.eval.gold == str(tmp_path / "tools.jsonl")


def test_every_problem_reported_at_once_with_path_and_value(tmp_path):
    path = write(tmp_path, "catalogue: support_router\ntraining:\n  lr: abc\n  batchsize: 4\nlora:\n  r: 0\n")
    lines = problems(path)
    assert lines[0] == "3 problems in the recipe:"
    src = str(path)
    assert f"{src}: training.lr: Input should be a valid number, unable to parse string as a number (got 'abc')" in lines
    extra = next(l for l in lines if "training.batchsize" in l)
    assert extra.startswith(f"{src}: training.batchsize: unknown key; allowed here: epochs, max_steps, lr,")
    assert "batch_size" in extra
    assert f"{src}: lora.r: Input should be greater than or equal to 1 (got 0)" in lines


def test_top_level_unknown_key_and_missing_catalogue(tmp_path):
    lines = problems(write(tmp_path, "modle: {base: tiny}\n"))
    assert any(re.search(r": catalogue: Field required$", l) for l in lines)
    assert any(": modle: unknown key; allowed here: version, name, catalogue, mode, data, model," in l for l in lines)


def test_cross_field_rules(tmp_path):
    text = "catalogue: support_router\nmodel: {base: /models/x}\nquantization: {bits: 4}\n"
    assert "quantization needs a lora section (QLoRA)" in "\n".join(problems(write(tmp_path, text)))
    text = "catalogue: support_router\ndata: {path: rows, n: 10}\n"
    assert "give either data.path or the build settings (n), not both" in "\n".join(problems(write(tmp_path, text)))
    text = "catalogue: support_router\nmodel: {base: Qwen/Qwen2.5-0.5B, tiny: {layers: 1}}\n"
    assert "model.tiny is only for model.base: tiny" in "\n".join(problems(write(tmp_path, text)))
    text = "catalogue: car_control\nmode: baked\ndata: {robust: true}\n"
    assert "data.robust shuffles and subsets the catalogue" in "\n".join(problems(write(tmp_path, text)))
    text = "catalogue: support_router\nmodel: {tiny: {hidden: 100, heads: 8}}\n"
    assert "hidden (100) must be a multiple of heads (8)" in "\n".join(problems(write(tmp_path, text)))


def test_overrides_are_dotted_yaml_scalars(tmp_path):
    recipe = load_recipe("support_router_tiny", ["training.max_steps=50", "training.lr=3e-4", "mode=json",
                                                 "model.tiny.layers=1", "lora.r=8", "output_dir=/tmp/x",
                                                 "eval.min.exact_match_rate=0.5"])
    assert recipe.training.max_steps == 50 and recipe.training.lr == 3e-4 and recipe.mode == "json"
    assert recipe.model.tiny.layers == 1 and recipe.lora.r == 8  # a null section becomes a mapping
    assert recipe.run_dir == Path("/tmp/x") and recipe.eval.min == {"exact_match_rate": 0.5}
    assert load_recipe("support_router", ["lora=null"]).lora is None
    assert parse_override("training.bf16=false") == (["training", "bf16"], False)
    assert parse_override("model.base=/a/b=c") == (["model", "base"], "/a/b=c")


def test_bad_overrides_name_themselves():
    lines = problems("support_router_tiny", ["training.max_stepz=5", "training.lr=fast"])
    assert any("training.max_stepz: unknown key" in l and l.endswith("[from override training.max_stepz=5]")
               for l in lines)
    assert any("training.lr:" in l and "(got 'fast') [from override training.lr=fast]" in l for l in lines)
    for bad in ("max_steps", "=5", "training..lr=1"):
        with pytest.raises(ToolrouterError, match="expected KEY.PATH=VALUE"):
            load_recipe("support_router_tiny", [bad])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ToolrouterError, match="recipe 'nope' not found: shipped recipes are car_control, "):
        load_recipe("nope")
    with pytest.raises(ToolrouterError, match=r"r.yaml: not valid YAML at line 2"):
        load_recipe(write(tmp_path, "catalogue: a\n  bad: [\n"))
    with pytest.raises(ToolrouterError, match="a recipe is a YAML mapping"):
        load_recipe(write(tmp_path, "- a\n- b\n"))


def test_cli_reports_recipe_errors_with_exit_2(tmp_path, capsys):
    from toolrouter.cli import main

    path = write(tmp_path, "catalogue: support_router\ntraining: {lr: abc}\n")
    assert main(["train", "--recipe", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: training.lr: Input should be a valid number")
    assert "Traceback" not in err


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_recipe_builds_its_data(name):
    """The recipe's data settings are accepted by the data module (a small n: the rules, not the rows)."""
    from toolrouter.data.pipeline import build_dataset

    r = load_recipe(name)
    ds = build_dataset(r.catalogue, n=100, seed=r.data.seed, no_tool_ratio=r.data.no_tool_ratio, mode=r.mode,
                       robust=r.data.robust)
    assert ds.splits["train"] and ds.splits["train"][0]["messages"][0]["role"] == "system"


def test_data_settings_follow_the_builders_rule(tmp_path):
    """A recipe the data builder would refuse fails at load time, before training starts."""
    from toolrouter.data.pipeline import RATIO_RANGE

    lo, hi = RATIO_RANGE
    for ok in (lo, hi):
        assert load_recipe("support_router_tiny", [f"data.no_tool_ratio={ok}"]).data.no_tool_ratio == ok
    for bad in (0.05, 0.5):
        lines = problems("support_router_tiny", [f"data.no_tool_ratio={bad}"])
        assert len(lines) == 1 and lines[0].endswith(
                         f"support_router_tiny.yaml: data.no_tool_ratio: must be between {lo} and "
                         f"{hi} (got {bad}); fewer no_tool rows teach the router to always call, more teach it to "
                         f"refuse [from override data.no_tool_ratio={bad}]")


def test_eval_thresholds_name_known_metrics_and_all_problems_come_at_once(tmp_path):
    path = write(tmp_path, "catalogue: support_router\ndata: {no_tool_ratio: 0.3}\n"
                           "eval: {min: {exact_match: 0.9}, max: {false_tool_call_rate: 0.05, flase_call: 0.1}}\n")
    lines = problems(path)
    assert lines[0] == "3 problems in the recipe:"
    assert any(l.startswith(f"{path}: data.no_tool_ratio: must be between 0.1 and 0.2") for l in lines)
    assert any(l.startswith(f"{path}: eval.min: unknown metric(s) 'exact_match'; known: valid_tool_call_rate,")
               and "exact_match_rate" in l for l in lines)
    assert any(l.startswith(f"{path}: eval.max: unknown metric(s) 'flase_call'; known:") for l in lines)


def test_cli_refuses_a_bad_recipe_before_building_anything(tmp_path, capsys, monkeypatch):
    from toolrouter.cli import main

    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "catalogue: support_router\neval: {min: {exact: 0.9}}\n")
    assert main(["train", "--recipe", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: r.yaml: eval.min: unknown metric(s) 'exact'") and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_version_is_saved_and_old_keys_are_renamed_with_a_warning(tmp_path, capsys, monkeypatch):
    import yaml

    import toolrouter.train.recipe as recipe_module

    assert yaml.safe_load(load_recipe("support_router_tiny").to_yaml())["version"] == recipe_module.VERSION
    # Pretend version 2 renamed training.lr to training.learning_rate (and back, for this test's model).
    monkeypatch.setattr(recipe_module, "VERSION", 2)
    monkeypatch.setattr(recipe_module, "RENAMES", {1: {"training.learning_rate": "training.lr"}})
    old = write(tmp_path, "catalogue: support_router\ntraining: {learning_rate: 0.01, max_steps: 5}\n", "old.yaml")
    recipe = load_recipe(old)  # no version: 1
    assert recipe.training.lr == 0.01 and recipe.training.max_steps == 5 and recipe.version == 2
    err = capsys.readouterr().err
    assert f"warning: {old}: training.learning_rate was renamed to training.lr in recipe version 2" in err
    # A current file keeps its keys: the rename is not applied, so the old key is an unknown key.
    current = write(tmp_path, "version: 2\ncatalogue: support_router\ntraining: {learning_rate: 0.01}\n", "new.yaml")
    assert any("training.learning_rate: unknown key" in l for l in problems(current))


def test_a_newer_recipe_version_is_refused_with_the_fix(tmp_path):
    lines = problems(write(tmp_path, "version: 9\ncatalogue: support_router\n"))
    assert lines == [f"{tmp_path / 'r.yaml'}: version: recipe version 9 is not one this toolrouter reads (1 to 1); "
                     "set version: 1, or upgrade toolrouter for a newer recipe (got 9)"]
