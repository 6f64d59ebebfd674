"""The teacher source: client, cache, retries, verification and report, against a real scripted
OpenAI-compatible server process on 127.0.0.1 (tests/teacher_server.py). No torch.

    .venv/bin/python -m pytest tests/test_teacher.py -q
"""
import json
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from toolrouter import load_catalogue, parse_tool_call
from toolrouter.core.catalogue import PACKAGE_DIR
from toolrouter.core.schema import ToolrouterError
from toolrouter.data.pipeline import build_dataset, write_dataset
from toolrouter.core.catalogue import catalogue_from_openai
from toolrouter.data.teacher import (REQUESTS_PER_CALL, NearDuplicates, Stats, Teacher, build_with_teacher,
                                     extra_value, missing_value, normalise, parse_requests, sample_targets)
from toolrouter.train.trainer import check_rows

SERVER = Path(__file__).with_name("teacher_server.py")
K = REQUESTS_PER_CALL


class Server:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def _call(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def reset(self, script=(), default="good", slow_s=2.0):
        self._call("/reset", {"script": list(script), "default": default, "slow_s": slow_s})

    def stats(self):
        return self._call("/stats")


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.proc.terminate()
    s.proc.wait(timeout=5)


def teacher(server, tmp_path, **kw):
    kw = {"concurrency": 1, "timeout": 2.0, "retries": 3, "backoff": 0.001, **kw}
    return Teacher(url=server.url, model="scripted-teacher", cache_dir=tmp_path / "cache", **kw)


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- rows ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["compact", "template"])
def test_rows_are_valid_sft_rows_with_provenance(server, tmp_path, mode):
    server.reset()
    stats = Stats()
    ds = build_with_teacher("support_router", teacher(server, tmp_path, concurrency=3), n=40, seed=0, mode=mode,
                            stats=stats, progress=False)
    base = build_dataset("support_router", n=40, seed=0, mode=mode)
    cat = load_catalogue("support_router")
    assert {s: len(r) for s, r in ds.splits.items()} == {s: len(r) for s, r in base.splits.items()} == \
        {"train": 32, "val": 4, "test": 4}
    assert ds.splits["test"] == base.splits["test"]  # the test split stays the generator's
    for split in ("train", "val"):
        rows = ds.splits[split]
        check_rows(rows, mode, split)  # the trainer's own check of the row format
        # same no_tool share as the generator's split
        assert sum(r["meta"]["tool"] == "no_tool" for r in rows) == \
            sum(r["meta"]["tool"] == "no_tool" for r in base.splits[split])
        for row in rows:
            assert row.keys() == base.splits[split][0].keys()
            assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
            assert row["messages"][0] == base.splits[split][0]["messages"][0]
            result = parse_tool_call(row["messages"][2]["content"], cat)
            assert result.ok and result.tool == row["meta"]["tool"]
            if result.kind == "call":
                assert missing_value(result.arguments, row["messages"][1]["content"]) is None
            prov = row["meta"]["teacher"]
            assert prov["model"] == "scripted-teacher" and prov["prompt_version"] == 1
            assert (tmp_path / "cache" / prov["cache_key"][:2] / f"{prov['cache_key']}.json").is_file()
            assert row["meta"]["template"].startswith("teacher:")
    rep = ds.report["teacher"]
    seen = server.stats()
    assert rep["kept"] == 36 and rep["responses"] == seen["requests"] == stats.http_calls
    assert rep["requests"] == K * rep["responses"] == rep["kept"] + rep["unused"]
    assert sum(rep["rejected"].values()) == 0
    assert rep["tokens"]["total"] == seen["usage_total"] == stats.tokens_spent > 0
    assert seen["max_inflight"] <= 3  # bounded concurrency
    assert seen["auth"][0].startswith("Bearer ")
    assert ds.report["splits"]["train"]["rows"] == 32


def test_rerun_is_served_from_the_cache_and_writes_identical_bytes(server, tmp_path):
    server.reset()
    t = teacher(server, tmp_path, concurrency=2)
    first, second = Stats(), Stats()
    write_dataset(build_with_teacher("support_router", t, n=60, seed=3, stats=first, progress=False), tmp_path / "a")
    calls = server.stats()["requests"]
    assert calls == first.http_calls > 0 and first.cache_hits == 0
    write_dataset(build_with_teacher("support_router", t, n=60, seed=3, stats=second, progress=False), tmp_path / "b")
    assert server.stats()["requests"] == calls  # zero HTTP requests on the rerun
    assert second.http_calls == 0 and second.cache_hits == calls and second.tokens_spent == 0
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


# --- retries and failures --------------------------------------------------------------------------

def test_429_5xx_and_timeouts_are_retried_with_backoff(server, tmp_path):
    server.reset(script=["429", "500", "slow", "503"], slow_s=1.5)
    stats = Stats()
    start = time.perf_counter()
    ds = build_with_teacher("support_router", teacher(server, tmp_path, timeout=0.3, retries=4), n=20, seed=0, stats=stats,
                            progress=False)
    seen = server.stats()
    assert seen["actions"][:5] == ["429", "500", "slow", "503", "good"]
    assert stats.retries == 4 and seen["requests"] == ds.report["teacher"]["responses"] + 4
    assert ds.report["teacher"]["kept"] == 18
    assert time.perf_counter() - start < 5  # one 0.3 s timeout plus tiny backoffs


def test_a_teacher_that_keeps_failing_is_one_error_and_keeps_what_was_paid_for(server, tmp_path):
    server.reset(script=["good", "good"], default="500")
    t = teacher(server, tmp_path, retries=2)
    with pytest.raises(ToolrouterError) as e:
        build_with_teacher("support_router", t, n=20, seed=0, progress=False)
    msg = str(e.value)
    assert "failed 3 times in a row (last: HTTP 500)" in msg and "running the same command again resumes" in msg
    assert server.stats()["requests"] == 2 + 3
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2
    assert not list((tmp_path / "cache").rglob("*.tmp"))
    server.reset()
    stats = Stats()
    ds = build_with_teacher("support_router", t, n=20, seed=0, stats=stats, progress=False)
    assert stats.cache_hits == 2 and stats.http_calls == ds.report["teacher"]["responses"] - 2


def test_a_refused_key_is_not_retried_and_names_the_variable(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLROUTER_TEACHER_API_KEY", "sk-test-123")
    server.reset(script=["401"])
    with pytest.raises(ToolrouterError) as e:
        build_with_teacher("support_router", teacher(server, tmp_path), n=20, seed=0, progress=False)
    assert "HTTP 401: scripted 401" in str(e.value) and "TOOLROUTER_TEACHER_API_KEY" in str(e.value)
    assert server.stats()["requests"] == 1 and server.stats()["auth"] == ["Bearer sk-test-123"]


def test_an_unreachable_teacher_fails_at_once(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = Teacher(url=f"http://127.0.0.1:{port}/v1", model="m", cache_dir=tmp_path / "c", retries=5, backoff=10)
    start = time.perf_counter()
    with pytest.raises(ToolrouterError, match=f"cannot reach the teacher at http://127.0.0.1:{port}/v1"):
        build_with_teacher("support_router", t, n=20, seed=0, progress=False)
    assert time.perf_counter() - start < 5  # no backoff before the server ever answered


# --- verification ----------------------------------------------------------------------------------

def test_verification_rejects_by_reason_and_counts_them(server, tmp_path):
    # The script's second answer is off-target, which only a call can be: pick a seed whose second
    # train target is a call (with concurrency 1 the server sees the targets in order).
    seed = next(s for s in range(50) if sample_targets(load_catalogue("support_router"), 20, s, 0.15, "compact",
                                                       False).splits["train"][1]["meta"]["kind"] == "call")
    base = build_dataset("support_router", n=20, seed=seed)
    gold = [json.loads(l)["prompt"] for l in (PACKAGE_DIR / "evals" / "support_router.jsonl").read_text().splitlines()]
    long = next(p for p in gold if len(set(normalise(p).split())) >= 6 and "please" not in p.lower())
    test_request = base.splits["test"][0]["messages"][1]["content"]
    server.reset(script=["malformed", "offtarget", "dupes", {"fixed": [long, long + " please", test_request]}])
    ds = build_with_teacher("support_router", teacher(server, tmp_path), n=20, seed=seed, progress=False)
    rep = ds.report["teacher"]
    assert rep["rejected"] == {"target_invalid": 0, "malformed": 1, "evals": 2, "test_split": 1,
                               "value_missing": K, "extra_value": 0, "duplicate": K - 1}
    good = rep["responses"] - 4
    assert rep["requests"] == K + K + 3 + K * good
    assert rep["kept"] == 18 and rep["kept"] + rep["unused"] + sum(rep["rejected"].values()) - 1 == rep["requests"]
    texts = {normalise(r["messages"][1]["content"]) for s in ("train", "val") for r in ds.splits[s]}
    assert normalise(long) not in texts and normalise(test_request) not in texts


def test_short_teacher_warns_instead_of_failing(server, tmp_path):
    server.reset(default="malformed")
    ds = build_with_teacher("support_router", teacher(server, tmp_path), n=20, seed=0, progress=False)
    assert ds.splits["train"] == [] and ds.report["teacher"]["rejected"]["malformed"] == 18  # one ask per target
    assert any("filled 0 of 16 rows (rejected so far: malformed 16)" in w for w in ds.report["warnings"])


def test_parse_requests():
    assert parse_requests('{"requests": ["a b", " c  d "]}') == ["a b", "c d"]
    assert parse_requests('```json\n["x"]\n```') == ["x"]
    assert parse_requests('<think>hmm {"no": 1}</think>Here: {"requests": ["ok"]} done') == ["ok"]
    for bad in ("1. track my order", '{"requests": []}', '{"requests": ["ok", 3]}', '{"requests": ["?!"]}', None,
                '{"requests": "ok"}', "[]"):
        assert parse_requests(bad) is None, bad


def test_values_must_be_said():
    assert normalise("Where's ORD-12,345?!  NOW") == "where s ord 12345 now"
    args = {"order_id": "ORD-12", "reason": "it arrived damaged", "seats": 2, "unit": "front_passenger"}
    assert missing_value(args, "ord 12: IT arrived, damaged! two seats, front-passenger") is None
    assert missing_value(args, "ORD-123 it arrived damaged 2 front passenger") == "ORD-12"  # a word, not a prefix
    assert missing_value(args, "ORD-12 it arrived damaged 3 front passenger") == "2"
    assert missing_value({"minutes": 60, "price": 1500, "x": 2.5, "on": True}, "sixty, 1,500 and 2.5") is None
    assert missing_value({"tags": ["red", "blue"]}, "make it red") == "blue"


def test_a_value_the_target_leaves_out_is_caught():
    cat = load_catalogue("support_router")
    missing = {"tool": "no_tool", "reason": "missing order_id for track_order"}
    assert extra_value(cat, missing, "where is ORD-4821?") == "order_id"
    assert extra_value(cat, missing, "where is my order? it's the one from ORD") is None
    assert extra_value(cat, {"tool": "no_tool", "reason": "greeting, no request"}, "ORD-4821") is None
    alarm = catalogue_from_openai([{"type": "function", "function": {
        "name": "set_alarm", "description": "Set an alarm.", "parameters": {"type": "object", "properties": {
            "label": {"type": "string", "description": "Label."},
            "time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$", "description": "HH:MM."}},
            "required": ["label"]}}}], "test")
    call = {"tool": "set_alarm", "arguments": {"label": "gym"}}
    assert extra_value(alarm, call, "gym alarm at 07:30") == "time"
    assert extra_value(alarm, call, "gym alarm, 107:305 is not a time") is None
    assert extra_value(alarm, {"tool": "set_alarm", "arguments": {"label": "gym", "time": "07:30"}},
                       "gym alarm at 07:30") is None


def test_near_duplicates_match_brute_force_jaccard():
    idx = NearDuplicates(0.85)
    idx.add("Where is my order ORD-48213?")
    assert idx.find("where is my order ord 48213 please")  # 6/7 = 0.857
    assert not idx.find("where is my order ord 48213 please now")  # 6/8 = 0.75
    assert not idx.find("where is my order ORD-48214?")  # 5/7
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(12)]
    texts = [" ".join(rng.sample(vocab, rng.randint(1, 9))) for _ in range(300)]
    idx = NearDuplicates(0.8)
    for i, text in enumerate(texts):
        words = set(text.split())
        brute = any(len(words & set(o.split())) / len(words | set(o.split())) >= 0.8 for o in texts[:i])
        assert idx.find(text) == brute, text
        idx.add(text)


# --- the command line ------------------------------------------------------------------------------

def _build_argv(out, url, cache, *extra):
    return ["data", "build", "--catalogue", "support_router", "--n", "40", "--out", str(out),
            "--teacher", url, "--teacher-cache", str(cache), *extra]


def test_cli_rerun_makes_no_http_call_and_writes_the_same_bytes(server, tmp_path, capsys):
    from toolrouter.cli import main

    server.reset()
    assert main(_build_argv(tmp_path / "a", server.url, tmp_path / "c", "--teacher-model", "m")) == 0
    calls = server.stats()["requests"]
    first = capsys.readouterr().out
    assert calls > 0 and f"this run: {calls} HTTP calls" in first and "kept" in first
    assert main(_build_argv(tmp_path / "b", server.url, tmp_path / "c", "--teacher-model", "m")) == 0
    assert server.stats()["requests"] == calls
    assert f"this run: 0 HTTP calls (0 tokens spent), {calls} answered from the cache" in capsys.readouterr().out
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["teacher"]["kept"] == 36 and report["teacher"]["responses"] == calls


def test_cli_unreachable_teacher_is_exit_2_and_one_message(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    proc = subprocess.run([sys.executable, "-m", "toolrouter.cli", *_build_argv(tmp_path / "out", url, tmp_path / "c",
                                                                             "--teacher-model", "m")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: cannot reach the teacher at {url}: ") and "Traceback" not in proc.stderr
    assert "start the server or fix --teacher" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_teacher_flags_come_together(server, tmp_path, capsys):
    from toolrouter.cli import main

    assert main(_build_argv(tmp_path / "o", server.url, tmp_path / "c")) == 2
    assert "--teacher needs --teacher-model NAME" in capsys.readouterr().err
    assert main(["data", "build", "--catalogue", "support_router", "--out", str(tmp_path / "o"),
                 "--teacher-model", "m"]) == 2
    assert "--teacher-model needs --teacher URL" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
