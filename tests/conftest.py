"""Shared fixtures: a tiny tokenizer and random-init model built in-process (no Hub, no mocks)."""
import pytest


def _texts():
    from toolrouter import load_catalogue
    from toolrouter.core.catalogue import MODES

    texts = []
    for name in ("support_router", "car_control"):
        cat = load_catalogue(name)
        texts += [cat.render(m) for m in MODES]
        texts += [f'{{"tool":"{t}","arguments":{{}}}}' for t in cat.names]
    texts += ["track order ORD-12345 please", "hello there", '{"tool":"no_tool","reason":"greeting"}']
    return texts * 3


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from toolrouter.train.tiny import build_tokenizer

    return build_tokenizer(_texts(), vocab_size=512)


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer):
    import torch

    from toolrouter.train.tiny import build_model

    torch.set_num_threads(2)
    return build_model(tiny_tokenizer, layers=2, hidden=64, heads=4).eval()


def make_rows(n: int = 48, seed: int = 0, mode: str = "compact") -> list[dict]:
    """A few support_router rows in the data contract's format (messages + meta), made by hand so
    training tests do not depend on the data generator's phrasing."""
    import random

    from toolrouter import format_call, format_no_tool, load_catalogue

    cat = load_catalogue("support_router")
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        oid = f"ORD-{rng.randint(1000, 99999)}"
        kind = i % 4
        if kind == 0:
            user, target, tool = f"where is my order {oid}?", format_call("track_order", {"order_id": oid}, cat), "track_order"
        elif kind == 1:
            user = f"refund {oid} please, it arrived broken"
            target, tool = format_call("request_refund", {"order_id": oid, "reason": "arrived broken"}, cat), "request_refund"
        elif kind == 2:
            user, target, tool = "let me talk to a human", format_call("escalate", {"reason": "wants a human"}, cat), "escalate"
        else:
            user, target, tool = rng.choice(["hi", "thanks!", "what's the weather?"]), format_no_tool("chit-chat"), "no_tool"
        row = {"messages": [{"role": "system", "content": cat.render(mode)}, {"role": "user", "content": user},
                            {"role": "assistant", "content": target}],
               "meta": {"tool": tool, "kind": "call" if tool != "no_tool" else "no_tool:chit_chat", "template": f"t{kind}"}}
        if mode == "template":
            row["tools"] = cat.to_openai()
        rows.append(row)
    return rows


def write_rows(folder, splits: dict) -> str:
    """Write {"train": rows, ...} as <folder>/<split>.jsonl; returns the folder as a string."""
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in splits.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(folder)


@pytest.fixture(scope="session")
def rows_dir(tmp_path_factory):
    """A data folder (train 48 / val 8 / test 8 rows) for `data.path` in training tests."""
    return write_rows(tmp_path_factory.mktemp("rows"), {"train": make_rows(48, 0), "val": make_rows(8, 1),
                                                        "test": make_rows(8, 2)})


@pytest.fixture
def one_thread():
    """Tiny ops: one torch thread is as fast, and far faster when other processes share the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_tiny_run(folder, model, tokenizer, max_new_tokens: int):
    """A support_router run dir as training writes it (model, tokenizer, catalogue.json, run.json),
    holding the random-init tiny model; shared by the route, serve and reliability tests."""
    import json

    from toolrouter import load_catalogue

    cat = load_catalogue("support_router")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "catalogue.json").write_text(json.dumps(cat.to_openai()))
    (folder / "run.json").write_text(json.dumps({
        "name": "support_router_tiny", "mode": "compact", "catalogue": "support_router",
        "catalogue_sha256": cat.fingerprint(), "base_model": "tiny", "adapter": False,
        "max_new_tokens": max_new_tokens}))
    return folder
