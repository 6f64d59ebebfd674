"""A recipe: one YAML file in `recipes/` that says everything a training run needs.

    recipe = load_recipe("support_router_tiny", ["training.max_steps=50"])
    recipe.run_dir            # runs/support_router_tiny
    recipe.eval.gold          # evals/support_router.jsonl unless the recipe names another file

The file is validated by the `Recipe` Pydantic model below (`extra="forbid"` everywhere, so a
misspelt or stale key is an error, not a silently ignored setting). Every problem is reported at
once, one line each, as `FILE: key.path: message (got VALUE)`. Overrides (`key.path=value`, the
value read as a YAML scalar) are applied to the raw YAML before validation, so they are checked
exactly like the file. Everything a run needs is checked here, before training starts: the data
settings by the rule the data builder uses, and `eval.min/max` against the metrics eval knows.

`version` says which recipe format a file was written in (a saved run's recipe.yaml records it;
no version means 1). When a key is renamed, VERSION goes up and RENAMES[old version] maps the old
dotted keys to the new ones: an older file still loads, with a warning naming each renamed key.
Pure module: no torch.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from toolrouter.core.catalogue import MODES, PACKAGE_DIR
from toolrouter.data.conversation import ConversationSettings
from toolrouter.data.pipeline import no_tool_ratio_problem
from toolrouter.errors import ToolrouterError, validation_message
from toolrouter.eval.metrics import METRICS
from toolrouter.io import read_yaml

RECIPES_DIR = PACKAGE_DIR / "recipes"
EVALS_DIR = PACKAGE_DIR / "evals"
TINY = "tiny"  # model.base value of the built-in scratch base (toolrouter/tiny.py)
VERSION = 1  # the recipe format this code writes and reads
# Renamed keys by the version that still used the old names: {version: {"old.dotted.key": "new.dotted.key"}}.
# A recipe of version v gets RENAMES[v], RENAMES[v + 1], ... applied in turn, with a warning.
RENAMES: dict[int, dict[str, str]] = {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(Strict):
    """Build the rows (toolrouter.data.pipeline.build_dataset) or read them from a folder of train/val/test.jsonl."""

    n: int = Field(2000, ge=10, description="rows to build, all splits together")
    seed: int = 0
    no_tool_ratio: float = Field(0.15, description="no_tool share of every split (the data builder's rule)")
    robust: bool = False
    path: Optional[str] = Field(None, description="folder with train.jsonl (and val/test.jsonl) instead of building")
    conversations: Optional[ConversationSettings] = Field(
        None, description="turn some rows into conversations (history, follow-ups, several calls); "
                          "default none: single-turn rows (toolrouter.data.conversation)")

    @field_validator("no_tool_ratio")
    @classmethod
    def _ratio_the_builder_accepts(cls, value: float) -> float:
        problem = no_tool_ratio_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _path_or_build(self):
        given = self.model_fields_set & {"n", "seed", "no_tool_ratio", "robust", "conversations"}
        if self.path is not None and given:
            raise ValueError(f"give either data.path or the build settings ({', '.join(sorted(given))}), not both")
        return self


class TinyConfig(Strict):
    """Shape of the built-in scratch Llama (toolrouter/tiny.py) and its locally trained tokenizer."""

    layers: int = Field(2, ge=1)
    hidden: int = Field(128, ge=8)
    heads: int = Field(8, ge=1)
    intermediate: Optional[int] = Field(None, ge=8, description="MLP width; default 4 x hidden")
    vocab_size: int = Field(1024, ge=300, description="BPE vocabulary target (a small corpus may stop short)")
    template: Optional[Literal["chatml", "chatml_lower", "qwen2_5", "llama3_1"]] = Field(
        None, description="chat template (TRL's copy for qwen2_5/llama3_1; chatml_lower lower-cases user turns); "
                          "default chatml, qwen2_5 for format native")
    space_tokens: bool = Field(False, description="each whitespace character its own token, so a word is the same "
                                                  "tokens in the request and in the answer (learning to copy)")

    @model_validator(mode="after")
    def _heads_divide(self):
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        return self


class ModelConfig(Strict):
    base: str = Field(TINY, description="'tiny' (built-in scratch base), a Hub id, or a local model folder")
    tiny: Optional[TinyConfig] = None
    # The attention kernel while training (transformers' attn_implementation); inference keeps the library's
    # default, since the choice is not saved with the weights. auto: eager for the tiny base on CPU, else the
    # library's default (sdpa). Measured 2026-12-02 (benchmarks/bench_attention.py, results/attention.json): the tiny
    # recipe at batch 16, bf16 autocast, 2 CPU threads: 3 x 256 sdpa 127 ms a step, eager 93.7 ms (1.36x); 2 x 256
    # 94.9 vs 70.5 ms (1.35x); the same loss curves. A whole 2-layer support_router_tiny run at batch 24 trained in
    # 433 s eager, 616 s sdpa.
    # A real base on CPU and any base on CUDA keep sdpa: not measured to gain.
    attention: Literal["auto", "eager", "sdpa"] = "auto"

    @model_validator(mode="after")
    def _tiny_only_for_tiny(self):
        if self.base == TINY and self.tiny is None:
            self.tiny = TinyConfig()
        elif self.base != TINY and self.tiny is not None:
            raise ValueError("model.tiny is only for model.base: tiny; remove it for a real base")
        return self


class LoraSettings(Strict):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    # "all-linear" is PEFT's shorthand for every linear layer except the output head.
    target_modules: Union[list[str], Literal["all-linear"]] = "all-linear"
    modules_to_save: Optional[list[str]] = Field(None, description="trained in full, e.g. [embed_tokens, lm_head]")


class QuantizationConfig(Strict):
    """QLoRA: the frozen base in 4-bit (bitsandbytes), the LoRA adapter in bf16."""

    bits: Literal[4] = 4
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = True


Scheduler = Literal["linear", "cosine", "cosine_with_min_lr", "constant", "constant_with_warmup",
                    "inverse_sqrt", "polynomial", "warmup_stable_decay"]


class TrainingConfig(Strict):
    epochs: float = Field(3.0, gt=0)
    max_steps: Optional[int] = Field(None, ge=1, description="when set, overrides epochs")
    lr: float = Field(2e-4, gt=0)
    scheduler: Scheduler = "linear"
    min_lr_ratio: Optional[float] = Field(None, ge=0.0, le=1.0, description="floor of cosine_with_min_lr, x lr")
    warmup: float = Field(0.03, ge=0, description="a ratio of all steps if < 1, else a number of steps")
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(8, ge=1, description="per device")
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(1024, ge=16, description="longer rows are truncated (and dropped if no answer is left)")
    # How rows become batches, measured side by side by benchmarks/bench_training.py (results/training.json):
    #   none          each batch of batch_size rows padded to its longest row
    #   padding_free  the same rows, flattened into one row without padding (position_ids restart per
    #                 row, so attention stays within each row); TRL does not enforce max_length here
    #   bfd           rows packed best-fit-decreasing into max_length blocks, padding-free: batch_size
    #                 *blocks* a step, i.e. ~10x more rows a step, which changes the optimisation
    #   auto          by measurement (benchmarks/results: training.json on CPU, gpu.json on one H200):
    #                 CPU: none. Padding-free/bfd lift the real-token share from ~0.8 to 1.00 but not
    #                 real tokens/s (sdpa attends over the whole flattened row under a block-diagonal
    #                 mask: ~5x the attention of the padded rows, what the padding saved).
    #                 CUDA, bf16 base (LoRA or full): padding_free, 17.7k vs 12.8k real tokens/s (1.38x)
    #                 and 8.7 vs 10.0 GiB peak on Qwen2.5-0.5B's shape, batch 16, same rows a step.
    #                 CUDA, 4-bit base (QLoRA): none, 11.8k vs 10.3k real tokens/s for padding_free.
    #                 true/false in old recipes read as bfd/none.
    packing: Literal["auto", "none", "padding_free", "bfd"] = "auto"
    gradient_checkpointing: bool = False
    seed: int = 0
    bf16: Union[bool, Literal["auto"]] = "auto"
    save_steps: int = Field(500, ge=1)
    save_total_limit: Optional[int] = Field(2, ge=1)
    logging_steps: int = Field(10, ge=1)
    eval_steps: Optional[int] = Field(None, ge=1, description="validation loss every N steps (always at the end)")
    # Which assistant turns of a conversation carry the loss: `final` (the answer to the last request; the
    # earlier turns are context) or `all_assistant` (every earlier call and reply too: needs a chat template
    # with {% generation %} markers or one TRL can mark). Single-turn rows are the same either way.
    loss_on: Literal["final", "all_assistant"] = "final"

    @field_validator("packing", mode="before")
    @classmethod
    def _packing_was_a_bool(cls, value):
        return {True: "bfd", False: "none"}[value] if isinstance(value, bool) else value

    @model_validator(mode="after")
    def _min_lr_needs_scheduler(self):
        if self.min_lr_ratio is not None and self.scheduler != "cosine_with_min_lr":
            raise ValueError("min_lr_ratio only applies to scheduler: cosine_with_min_lr")
        return self


class EvalConfig(Strict):
    gold: Optional[str] = Field(None, description="gold file; default <catalogue file>.jsonl beside a catalogue file, "
                                "else the shipped evals/<catalogue>.jsonl")
    batch_size: int = Field(32, ge=1)
    max_new_tokens: int = Field(128, ge=1)
    copy_spans: bool = Field(False, description="this run's constrained decoding (eval --constrained, route, serve) writes "
                       "the arguments its data copies (free text, names, IDs) only as spans of the request, and "
                       "numbers, times and dates only as values the request says (toolrouter.formats.copy); "
                       "--no-copy gives the catalogue grammar alone")
    min: dict[str, float] = Field(default_factory=lambda: {"exact_match_rate": 0.9})
    max: dict[str, float] = Field(default_factory=lambda: {"false_tool_call_rate": 0.05})
    free_text_min_f1: Optional[float] = Field(
        None, ge=0.0, le=1.0, strict=True, description="free text (x-free-text arguments) matches only at token F1 >= "
        "this against the gold text; default none: present and non-empty is enough (--free-text-min-f1 overrides it)")

    @field_validator("min", "max")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = [name for name in value if name not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(map(repr, unknown))}; known: {', '.join(METRICS)}")
        return value


class Recipe(Strict):
    version: int = Field(VERSION, description="recipe format version; none means 1")
    name: str = Field(description="run name; defaults to the recipe file's stem")
    catalogue: str = Field(description="built-in catalogue name or path (.py / OpenAI-style .json)")
    mode: Literal["compact", "json", "template", "baked"] = "compact"
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    lora: Optional[LoraSettings] = Field(None, description="null = full fine-tuning")
    quantization: Optional[QuantizationConfig] = None
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    output_dir: Optional[str] = Field(None, description="default runs/<name>")
    eval: EvalConfig = Field(default_factory=EvalConfig)
    format: Literal["json", "native"] = Field("json", description="answer format (toolrouter.formats): json envelope "
                                              "as text, or the base's native tool_calls (mode template or baked)")

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if not 1 <= value <= VERSION:
            raise ValueError(f"recipe version {value} is not one this toolrouter reads (1 to {VERSION}); "
                             f"set version: {VERSION}, or upgrade toolrouter for a newer recipe")
        return value

    @model_validator(mode="after")
    def _resolve(self):
        if self.quantization is not None and self.lora is None:
            raise ValueError("quantization needs a lora section (QLoRA): 4-bit weights cannot be fully fine-tuned")
        if self.data.robust and self.mode == "baked":
            raise ValueError("data.robust shuffles and subsets the catalogue in the prompt, but mode baked shows "
                             "none; set data.robust: false or use mode compact, json or template")
        if self.quantization is not None and self.model.base == TINY:
            raise ValueError("quantization is for a real base; the tiny scratch base trains in full or with LoRA")
        if self.format == "native" and self.mode not in ("template", "baked"):
            raise ValueError(f"format native shows the tools through the chat template, so it needs mode template (or "
                             f"baked); got mode {self.mode}. Set mode: template, or format: json")
        if self.eval.gold is None:
            # A catalogue file's own gold set sits beside it (my_tools.py + my_tools.jsonl); a built-in's ships.
            beside = Path(self.catalogue).with_suffix(".jsonl")
            own = Path(self.catalogue).suffix in (".py", ".json") and beside.is_file()
            self.eval.gold = str(beside if own else EVALS_DIR / f"{Path(self.catalogue).stem}.jsonl")
        elif not Path(self.eval.gold).exists() and Path(self.eval.gold).name == self.eval.gold \
                and (EVALS_DIR / self.eval.gold).is_file():  # a bare file name: a built-in gold set
            self.eval.gold = str(EVALS_DIR / self.eval.gold)
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) if self.output_dir else Path("runs") / self.name

    @property
    def is_tiny(self) -> bool:
        return self.model.base == TINY

    def to_yaml(self) -> str:
        """The resolved recipe (defaults filled in), itself a valid recipe."""
        raw = self.model_dump(mode="json")
        if self.data.path is not None:
            raw["data"] = {"path": self.data.path}
        return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


assert set(MODES) == set(Recipe.model_fields["mode"].annotation.__args__)  # one list of modes


# ---------------------------------------------------------------------------------------------
# loading

def shipped_recipes() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def find_recipe(name_or_path: Union[str, Path]) -> Path:
    """A path to an existing .yaml, or the name of a shipped recipe (`recipes/<name>.yaml`)."""
    text = str(name_or_path)
    path = Path(text)
    if path.is_file():
        return path
    if "/" not in text and path.suffix == "":
        shipped = RECIPES_DIR / f"{text}.yaml"
        if shipped.is_file():
            return shipped
    raise ToolrouterError(f"recipe {text!r} not found: shipped recipes are {', '.join(shipped_recipes())}; "
                          "or pass the path of a .yaml file")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`training.max_steps=50` -> (["training", "max_steps"], 50); the value is a YAML scalar."""
    key, sep, value = text.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ToolrouterError(f"override {text!r}: expected KEY.PATH=VALUE, e.g. training.max_steps=50")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value  # not valid YAML on its own (e.g. 'a: b'): keep the text
    return key.split("."), parsed


def apply_override(raw: dict, path: list[str], value: Any) -> None:
    node = raw
    for part in path[:-1]:
        # A missing or null section (e.g. `lora: null` and `lora.r=8`) becomes a mapping.
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def upgrade(raw: dict, source: str) -> dict:
    """An older recipe's keys renamed to this VERSION's (RENAMES), one warning per key; in place."""
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= VERSION:
        return raw  # validation reports it, with the file and the allowed range
    for v in range(version, VERSION):
        for old, new in RENAMES.get(v, {}).items():
            *parents, key = old.split(".")
            node = raw
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and key in node:
                apply_override(raw, new.split("."), node.pop(key))
                print(f"warning: {source}: {old} was renamed to {new} in recipe version {v + 1}; "
                      f"read as {new} (set version: {VERSION} and the new key to silence this)", file=sys.stderr)
    raw["version"] = VERSION
    return raw


def load_recipe(name_or_path: Union[str, Path], overrides: Optional[list[str]] = None) -> Recipe:
    """Read, override and validate a recipe; every problem is reported at once as a ToolrouterError."""
    path = find_recipe(name_or_path)
    source = os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    raw = read_yaml(path, source)
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ToolrouterError(f"{source}: a recipe is a YAML mapping (key: value lines), got {type(raw).__name__}")
    raw.setdefault("name", path.stem)
    upgrade(raw, source)
    given: dict[str, str] = {}
    for text in overrides or []:
        keys, value = parse_override(text)
        apply_override(raw, keys, value)
        given[".".join(keys)] = text
    try:
        return Recipe.model_validate(raw)
    except ValidationError as e:
        raise ToolrouterError(validation_message(source, e, Recipe, given, what="the recipe")) from None
