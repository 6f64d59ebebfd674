"""training.packing (none | padding_free | bfd | auto): the batches each one collates, checked row by
row against the rows alone, and the block-diagonal attention that padding-free batches rely on."""
import pytest

from test_train import tiny_recipe
from toolrouter import ToolrouterError
from toolrouter.train.recipe import load_recipe

pytestmark = pytest.mark.usefixtures("one_thread")


def segments(batch):
    """A padding-free batch (one flattened row) cut where position_ids restart at 0."""
    ids, labels, pos = (batch[k][0].tolist() for k in ("input_ids", "labels", "position_ids"))
    starts = [i for i, p in enumerate(pos) if p == 0] + [len(ids)]
    return [(ids[a:b], labels[a:b], pos[a:b]) for a, b in zip(starts, starts[1:])]


def test_each_packing_collates_the_rows_with_their_own_labels_and_attention(tmp_path, rows_dir):
    import torch

    from toolrouter.train.trainer import build_trainer

    plain, _ = build_trainer(tiny_recipe(tmp_path, rows_dir, "training.packing=none", "training.bf16=false",
                                         name="none"))
    # The reference: every row alone, as the unpacked trainer pads it -> its labels without padding.
    alone = {}
    for batch in plain.get_train_dataloader():
        for ids, labels, mask in zip(batch["input_ids"].tolist(), batch["labels"].tolist(),
                                     batch["attention_mask"].tolist()):
            n = sum(mask)
            assert all(lab == -100 for lab in labels[n:])  # padding is never a target
            alone[tuple(ids[:n])] = labels[:n]
    assert len(alone) == len({tuple(r["input_ids"]) for r in plain.train_dataset})  # every distinct row

    model = plain.model.float().eval()
    for packing in ("padding_free", "bfd"):
        trainer, _ = build_trainer(tiny_recipe(tmp_path, rows_dir, f"training.packing={packing}",
                                               "training.bf16=false", name=packing))
        assert trainer.padding_free and trainer.args.packing == (packing == "bfd")
        seen = set()
        for b, batch in enumerate(trainer.get_train_dataloader()):
            assert batch["input_ids"].shape[0] == 1  # one flattened row, no padding
            assert "attention_mask" not in batch or bool(batch["attention_mask"].all())
            parts = segments(batch)
            if packing == "padding_free":
                assert len(parts) == trainer.args.per_device_train_batch_size or b > 0  # same rows a step
            for ids, labels, pos in parts:
                assert pos == list(range(len(ids)))
                assert alone[tuple(ids)] == labels
                seen.add(tuple(ids))
            if b == 0:
                # The block-diagonal mask: each row's logits inside the flattened batch are its logits
                # alone (TRL trains with use_cache=False, which is what makes transformers build it).
                with torch.no_grad():
                    packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                                   use_cache=False).logits[0]
                    offset = 0
                    for ids, _, _ in parts:
                        single = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0]
                        assert torch.allclose(packed[offset:offset + len(ids)], single, atol=1e-4)
                        offset += len(ids)
        assert seen == set(alone)  # every row, once an epoch, nothing cut
        if packing == "bfd":  # blocks of up to max_length tokens: several rows a block
            assert max(len(segments(bt)) for bt in trainer.get_train_dataloader()) > 4


def test_packing_auto_by_device_and_old_booleans(tmp_path, rows_dir):
    from toolrouter.train.trainer import packing_for

    assert packing_for("auto", "cpu") == "none" and packing_for("auto", "cpu", quantized=True) == "none"
    assert packing_for("auto", "cuda:0") == "padding_free"  # measured on an H200: benchmarks/results/gpu.json
    assert packing_for("auto", "cuda", quantized=True) == "none"
    assert packing_for("bfd", "cpu") == "bfd"
    assert tiny_recipe(tmp_path, rows_dir, "training.packing=true").training.packing == "bfd"
    assert tiny_recipe(tmp_path, rows_dir, "training.packing=false").training.packing == "none"
    with pytest.raises(ToolrouterError, match="packing"):
        tiny_recipe(tmp_path, rows_dir, "training.packing=tight")
