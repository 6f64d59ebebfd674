"""toolrouter.io and toolrouter.errors: atomic writes with ordinary permissions, JSONL with line
numbers (split on \\n only), run.json checked in one place, one rendering of Pydantic/YAML errors."""
import json
import os
import stat

import pytest
import yaml
from pydantic import ValidationError

from toolrouter import ToolrouterError, load_catalogue
from toolrouter.data.bank import BankSpec
from toolrouter.errors import validation_lines, yaml_message
from toolrouter.io import (atomic_write, read_json, read_jsonl, read_run, read_yaml, write_files, write_json,
                           write_run, write_text)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_are_atomic_with_ordinary_permissions(tmp_path, umask_022):
    path = write_json(tmp_path / "sub" / "run.json", {"a": "é"})  # the folder is made
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é"} and "é" in path.read_text(encoding="utf-8")
    assert mode_of(path) == 0o644  # what open() gives under umask 022 (mkstemp alone makes 0600)
    write_text(tmp_path / "card.md", "a\nb\n")
    assert mode_of(tmp_path / "card.md") == 0o644

    def crash(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, crash)
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é"}  # the old file is untouched
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.json"]  # and no temp file is left


def test_write_files_is_all_or_nothing(tmp_path, umask_022):
    write_files(tmp_path / "d", {"train.jsonl": "{}\n", "report.json": "{}\n"})
    assert {p.name: mode_of(p) for p in (tmp_path / "d").iterdir()} == {"train.jsonl": 0o644, "report.json": 0o644}
    with pytest.raises(OSError):  # the second name cannot be created: nothing of the first may stay
        write_files(tmp_path / "e", {"a.jsonl": "{}\n", "no/such/dir.jsonl": "{}\n"})
    assert list((tmp_path / "e").iterdir()) == []


def test_jsonl_splits_on_newline_only_and_keeps_line_numbers(tmp_path):
    path = tmp_path / "rows.jsonl"
    # U+2028, U+0085 and \x1c are line breaks to str.splitlines, but legal raw inside a JSON string.
    rows = [{"prompt": "a\u2028b"}, {"prompt": "c\x85d\x1ce"}]
    path.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n\n" + json.dumps(rows[1], ensure_ascii=False)
                    + "\r\n", encoding="utf-8")
    assert read_jsonl(path) == [(1, rows[0]), (3, rows[1])]


def test_jsonl_reports_every_bad_line_at_once(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": \n\n[1, 2\n', encoding="utf-8")
    with pytest.raises(ToolrouterError) as e:
        read_jsonl(path, fix="rebuild it")
    text = str(e.value)
    assert text.startswith(f"2 problem(s) in {path}:")
    assert f"{path}:2: not valid JSON" in text and f"{path}:4: not valid JSON" in text and "rebuild it" in text
    problems = []
    assert read_jsonl(path, problems, what="gold") == [(1, {"a": 1})] and len(problems) == 2
    problems = []
    assert read_jsonl(tmp_path / "none.jsonl", problems, what="gold") == []
    assert problems == [f"gold file {tmp_path / 'none.jsonl'} not found"]
    (tmp_path / "latin1.jsonl").write_bytes(b'{"a": "\xe9"}\n')
    with pytest.raises(ToolrouterError, match="not UTF-8 text"):
        read_jsonl(tmp_path / "latin1.jsonl")


def test_json_and_yaml_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "x.json").write_text("[1]")
    with pytest.raises(ToolrouterError, match=r"x.json: expected a JSON object, got list; fix it"):
        read_json(tmp_path / "x.json", "fix it")
    (tmp_path / "x.yaml").write_text("a: 1\nb: [\n")
    with pytest.raises(ToolrouterError, match=r"^my file: not valid YAML at line 3: "):
        read_yaml(tmp_path / "x.yaml", "my file")
    with pytest.raises(yaml.YAMLError) as e:
        yaml.safe_load("a: 1\n  b: 2\n")
    assert yaml_message("f.yaml", e.value).startswith("f.yaml: not valid YAML at line 2: ")


def write_run_dir(folder, cat, **run):
    folder.mkdir()
    (folder / "catalogue.json").write_text(json.dumps(cat.to_openai()))
    (folder / "run.json").write_text(json.dumps({"mode": "compact", "catalogue": cat.name,
                                                 "catalogue_sha256": cat.fingerprint(), **run}))
    return folder


def test_read_run_checks_run_json_and_the_catalogue_snapshot(tmp_path):
    cat = load_catalogue("support_router")
    info, snapshot = read_run(write_run_dir(tmp_path / "ok", cat, global_step=7))
    assert info.mode == "compact" and snapshot == cat and snapshot.name == "support_router"
    assert info.model_dump()["global_step"] == 7  # training's own keys are kept
    edited = write_run_dir(tmp_path / "edited", cat)
    (edited / "catalogue.json").write_text(json.dumps(cat.subset(["escalate"]).to_openai()))
    with pytest.raises(ToolrouterError, match="its tools do not match run.json's catalogue_sha256"):
        read_run(edited)
    with pytest.raises(ToolrouterError, match=r"run.json: mode: Input should be 'compact'.* \(got 'fancy'\)"):
        read_run(write_run_dir(tmp_path / "mode", cat, mode="fancy"))
    with pytest.raises(ToolrouterError, match=r"is not a run directory \(no run.json\)"):
        read_run(tmp_path / "nothing")
    with pytest.raises(ValidationError):  # our own bug, not bad input: a traceback is right
        write_run(tmp_path / "w", {"mode": "fancy"})
    assert not (tmp_path / "w" / "run.json").exists()


def test_validation_lines_list_the_keys_allowed_in_nested_sections():
    with pytest.raises(ValidationError) as e:
        BankSpec.model_validate({"tools": {"track_order": {"templats": ["x"]}}, "negatives": {"greeting": [1]}})
    lines = validation_lines("bank.yaml", e.value, BankSpec)
    assert "bank.yaml: tools.track_order.templats: unknown key; allowed here: unsupported, slots, templates, examples, missing" \
        in lines
    assert "bank.yaml: tools.track_order.templates: Field required" in lines
    assert any(line.startswith("bank.yaml: negatives.greeting.0: ") and line.endswith("(got 1)") for line in lines)
    assert validation_lines("", e.value)[0].startswith("tools.track_order.")
