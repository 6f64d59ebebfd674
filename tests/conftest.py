"""Shared fixtures: a tiny tokenizer and random-init model built in-process (no Hub, no mocks)."""
import pytest


def _texts():
    from toolrouter import load_catalogue
    from toolrouter.catalogue import MODES

    texts = []
    for name in ("support_router", "car_control"):
        cat = load_catalogue(name)
        texts += [cat.render(m) for m in MODES]
        texts += [f'{{"tool":"{t}","arguments":{{}}}}' for t in cat.names]
    texts += ["track order ORD-12345 please", "hello there", '{"tool":"no_tool","reason":"greeting"}']
    return texts * 3


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from toolrouter.tiny import build_tokenizer

    return build_tokenizer(_texts(), vocab_size=512)


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer):
    import torch

    from toolrouter.tiny import build_model

    torch.set_num_threads(2)
    return build_model(tiny_tokenizer, layers=2, hidden=64, heads=4).eval()
