"""A teacher LLM behind any OpenAI-compatible endpoint writes the requests; we choose the answers.

    toolrouter data build --catalogue my_tools.py --n 2000 --out data/mine \\
        --teacher http://127.0.0.1:8000/v1 --teacher-model Qwen/Qwen2.5-7B-Instruct       # vLLM
    TOOLROUTER_TEACHER_API_KEY=sk-... toolrouter data build --catalogue my_tools.py --n 2000 \\
        --out data/mine --teacher https://api.openai.com/v1 --teacher-model gpt-4o-mini  # hosted

Answer first, as verified synthetic pipelines do: the target (a call with its argument values, or a
no_tool with its reason) is sampled first by the schema/bank generator, then the teacher is asked
for REQUESTS_PER_CALL messages that mean exactly that target, and only the messages that pass
verification become rows:
    the target parses against the catalogue                          (else `target_invalid`)
    the response is a JSON list of non-empty strings                  (else `malformed`, per response)
    no duplicate or near-duplicate of a gold prompt in toolrouter/evals (else `evals`)
    ... nor of a request of the test split                            (else `test_split`)
    every string / number argument value is said in the request       (else `value_missing`)
    no value for an argument the target leaves out (one with a `pattern`, e.g. an order ID, found
    in the request of a call without it or of a "missing order_id" no_tool) (else `extra_value`)
    ... nor of another kept row                                       (else `duplicate`)
"Near" means word-set Jaccard >= NEAR_DUPLICATE after normalising case, whitespace and punctuation.
The teacher writes the train and val splits; the test split stays the generator's held-out rows, so
what the teacher taught is scored on requests it did not write.

Every response is cached on disk by the hash of its request (written atomically, one file per
response), so a rerun makes no HTTP request and writes the same bytes, and a run that stops half-way
keeps every response it paid for. The API key comes from TOOLROUTER_TEACHER_API_KEY or OPENAI_API_KEY.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from toolrouter.core.catalogue import PACKAGE_DIR, Catalogue, load_catalogue
from toolrouter.core.schema import NO_TOOL
from toolrouter.errors import ToolrouterError
from toolrouter.formats.parse import parse_tool_call
from toolrouter.io import read_jsonl, write_text

PROMPT_VERSION = 1  # bump when the prompt text changes: it is part of every cache key and row's meta
REQUESTS_PER_CALL = 4
NEAR_DUPLICATE = 0.85  # "where is my order ORD-1" vs "... ORD-1 please": 6/7 = 0.857, a near-duplicate
TEMPERATURE = 1.0
API_KEY_VARS = ("TOOLROUTER_TEACHER_API_KEY", "OPENAI_API_KEY")
REASONS = ("target_invalid", "malformed", "evals", "test_split", "value_missing", "extra_value", "duplicate")
RETRY_STATUS = (408, 409, 429)  # and every 5xx


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toolrouter" / "teacher"


@dataclass
class Teacher:
    """Where the teacher lives and how to call it. `backoff` is the first retry's delay in seconds
    (doubled per retry, with jitter, or the server's Retry-After); tests make it tiny."""

    url: str
    model: str
    cache_dir: Union[str, Path, None] = None
    concurrency: int = 4
    timeout: float = 60.0
    retries: int = 5
    backoff: float = 1.0
    api_key: Optional[str] = None  # default: the first of API_KEY_VARS that is set


@dataclass
class Stats:
    """What this run did over HTTP (not written to report.json, which must not change on a rerun)."""

    http_calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    tokens_spent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


# ---------------------------------------------------------------------------------------------
# the client: cache first, then HTTP with bounded retries

class Cache:
    """One JSON file per response, named by the request's hash, written to a temporary name and
    renamed, so a crash never leaves a half-written entry and a finished one is never lost."""

    def __init__(self, root: Union[str, Path]):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[dict]:
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or unreadable: ask again
        return record if isinstance(record, dict) and record.get("key") == key else None

    def put(self, key: str, record: dict) -> None:
        try:
            write_text(self.path(key), json.dumps(record, ensure_ascii=False, sort_keys=True))
        except OSError as e:
            raise ToolrouterError(f"cannot write the teacher cache {self.root}: {e.strerror or e}; pass a "
                                  "writable directory with --teacher-cache") from None


def request_key(body: dict) -> str:
    """The cache key: a hash of everything that shapes the answer (the URL is left out, so the same
    model moved to another host keeps its cache)."""
    text = json.dumps({"prompt_version": PROMPT_VERSION, **body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Client:
    """Chat completions through the official `openai` client. Its own retries are off so that we
    count ours (the report shows them) and so tests can make the backoff tiny."""

    def __init__(self, teacher: Teacher, stats: Stats):
        from openai import OpenAI

        self.teacher, self.stats = teacher, stats
        self.cache = Cache(teacher.cache_dir or default_cache_dir())
        key = teacher.api_key or next((os.environ[v] for v in API_KEY_VARS if os.environ.get(v)), None)
        # Local servers (vLLM, Ollama, llama.cpp) take any key; the client insists on one.
        self.openai = OpenAI(base_url=teacher.url, api_key=key or "no-key", max_retries=0, timeout=teacher.timeout)
        self.has_key = key is not None
        self.reached = False  # a server that never answered is a wrong URL, not a hiccup: fail at once
        self.failed: Optional[ToolrouterError] = None  # set before the failing call returns: no new calls

    def complete(self, body: dict) -> dict:
        """The cached record {key, request, response} of a chat completion request."""
        try:
            return self._complete(body)
        except ToolrouterError as e:
            self.failed = self.failed or e
            raise

    def _complete(self, body: dict) -> dict:
        key = request_key(body)
        record = self.cache.get(key)
        if record is not None:
            self.stats.add(cache_hits=1)
            return record
        if self.failed is not None:  # another call already failed for good: spend nothing more
            raise self.failed
        response = self._fetch(body)
        record = {"key": key, "prompt_version": PROMPT_VERSION, "request": body, "response": response}
        self.cache.put(key, record)
        usage = response.get("usage") or {}
        self.stats.add(http_calls=1, tokens_spent=int(usage.get("total_tokens") or 0))
        return record

    def _fetch(self, body: dict) -> dict:
        import openai

        url, last = self.teacher.url, ""
        for attempt in range(self.teacher.retries + 1):
            if self.failed is not None:
                raise self.failed
            wait = None
            try:
                response = self.openai.chat.completions.create(**body)
                self.reached = True
                return response.model_dump(mode="json")
            except openai.APIStatusError as e:
                self.reached = True
                status = e.status_code
                if status not in RETRY_STATUS and status < 500:
                    raise ToolrouterError(self._refused(status, e)) from None
                last = f"HTTP {status}"
                wait = _retry_after(e.response.headers)
            except openai.APITimeoutError:
                last = f"no answer within {self.teacher.timeout:g} s"
            except openai.APIConnectionError as e:
                if not self.reached:
                    raise ToolrouterError(f"cannot reach the teacher at {url}: {_cause(e)}; start the server "
                                          "or fix --teacher (an OpenAI-compatible base URL, usually ending "
                                          "in /v1)") from None
                last = f"connection failed ({_cause(e)})"
            except openai.OpenAIError as e:
                raise ToolrouterError(f"the teacher at {url} gave an unusable answer: {e}") from None
            if attempt < self.teacher.retries:
                self.stats.add(retries=1)
                delay = self.teacher.backoff * 2 ** attempt * (0.5 + random.random() / 2)
                time.sleep(min(wait if wait is not None else delay, 60.0))
        raise ToolrouterError(f"the teacher at {url} failed {self.teacher.retries + 1} times in a row (last: "
                              f"{last}); every response received so far is cached in {self.cache.root}, so "
                              "running the same command again resumes where this run stopped")

    def _refused(self, status: int, e: Exception) -> str:
        where = f"the teacher at {self.teacher.url} refused the request (HTTP {status}: {_server_message(e)})"
        if status in (401, 403):
            hint = "set " + " or ".join(API_KEY_VARS) + (" to a valid key" if self.has_key else "")
        elif status == 404:
            hint = f"check --teacher-model ({self.teacher.model!r}) and that --teacher is the base URL, e.g. ending in /v1"
        else:
            hint = "check --teacher-model and that the server speaks OpenAI chat completions"
        return f"{where}; {hint}"


def _retry_after(headers) -> Optional[float]:
    try:
        value = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _cause(e: BaseException) -> str:
    while e.__cause__ is not None:
        e = e.__cause__
    return str(e) or type(e).__name__


def _server_message(e: Any) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        msg = inner.get("message") if isinstance(inner, dict) else inner
        if msg:
            return str(msg)[:200]
    return str(getattr(e, "message", e))[:200]


# ---------------------------------------------------------------------------------------------
# the prompt

KIND_HINTS = {
    "greeting": "Each one is a greeting, thanks, goodbye or small talk, with no request in it.",
    "domain_question": "Each one is a question about the assistant or its subject that none of the tools "
                       "answers or performs.",
    "out_of_scope": "Each one asks for something that none of the tools does.",
    "missing_argument": "Each one asks for what a tool does but leaves out the information named in the "
                        "reason, so the assistant would have to ask for it.",
    "near_miss": "Each one asks for what the reason names, which sounds close to the tools but none of them does.",
}


def _describe(catalogue: Catalogue) -> str:
    lines = []
    for tool in catalogue:
        lines.append(f"- {tool.name}: {tool.description.strip()}")
        for arg, schema in tool.properties.items():
            kind = schema.get("type", "value")
            if schema.get("enum"):
                extra = f", one of {', '.join(map(str, schema['enum']))}"
            elif schema.get("items", {}).get("enum"):
                kind, extra = "list", f" of any of {', '.join(map(str, schema['items']['enum']))}"
            else:
                extra = ""
            optional = "" if arg in tool.required else ", optional"
            desc = schema.get("description", "")
            lines.append(f"    {arg} ({kind}{extra}{optional}){': ' + desc if desc else ''}")
    return "\n".join(lines)


def _said(value: Any) -> list[str]:
    """The argument values a request must say: strings (enum words with spaces) and numbers."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _said(v)]
    if isinstance(value, list):
        return [s for v in value for s in _said(v)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [_number_text(value)]
    return [str(value).replace("_", " ")]


def _number_text(v: Union[int, float]) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def make_prompt(catalogue: Catalogue, target: dict, kind: str, k: int) -> list[dict]:
    """The chat messages asking for k requests that mean exactly `target` (version PROMPT_VERSION)."""
    system = ("You write realistic messages that people type to an assistant. Reply with JSON only, in "
              'the form {"requests": ["...", "..."]}.')
    head = f"The assistant can use only these tools:\n{_describe(catalogue)}\n\n"
    style = ("- Sound like different real people: vary the length, word order and tone (terse, casual, "
             "polite, indirect); an occasional typo is fine.\n- Never name a tool or an argument the way "
             "the schema spells it.\n")
    if target["tool"] == NO_TOOL:
        task = (f"Write {k} different messages for which the right answer is that no tool fits, because: "
                f"{target['reason']}\n{KIND_HINTS.get(kind, 'Each one must be a message that no tool fits.')}\n\n")
        rules = style
    else:
        task = (f"Write {k} different messages, each asking for exactly this tool call, no more and no less:\n"
                f"{json.dumps(target, ensure_ascii=False)}\n\n")
        values = _said(target["arguments"])
        must = ("- Every message must contain each of these values as written (case aside; numbers may "
                f"be digits or words): {', '.join(json.dumps(v, ensure_ascii=False) for v in values)}\n"
                if values else "")
        rules = must + style + "- Mention no value that the call does not contain.\n"
    return [{"role": "system", "content": system},
            {"role": "user", "content": head + task + "Rules:\n" + rules + f'Reply with {{"requests": [{k} strings]}}.'}]


# ---------------------------------------------------------------------------------------------
# verification

_NON_WORD = re.compile(r"[\W_]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_THINK = re.compile(r"<think>.*?</think>", re.S)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen twenty").split()
TENS = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}


def normalise(text: str) -> str:
    """Lower case, punctuation as spaces, one space between words: "ORD-12, please!" -> "ord 12 please"."""
    return " ".join(_NON_WORD.sub(" ", _THOUSANDS.sub("", text.lower())).split())


def parse_requests(content: Any) -> Optional[list[str]]:
    """The requests in a teacher's reply ({"requests": [...]} or a bare list, code fences and
    <think> blocks allowed), or None when the reply is not that."""
    if not isinstance(content, str):
        return None
    text = _FENCE.sub("", _THINK.sub("", content).strip()).strip()
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start:end + 1]) if 0 <= start < end else None
        except ValueError:
            return None
    if isinstance(data, dict):
        data = data.get("requests")
    if not isinstance(data, list) or not data or not all(isinstance(r, str) and normalise(r) for r in data):
        return None
    return [" ".join(r.split()) for r in data]


def missing_value(arguments: dict, request: str) -> Optional[str]:
    """The first argument value not said in `request` (normalised), or None when all are. A number
    may be said in digits or, up to twenty and for round tens, in words."""
    said = f" {normalise(request)} "
    for value in _walk(arguments):
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            forms = [_number_text(value)]
            if float(value).is_integer() and 0 <= value <= 20:
                forms.append(NUMBER_WORDS[int(value)])
            elif value in TENS:
                forms.append(TENS[int(value)])
        else:
            forms = [str(value)]
        if not any(f" {normalise(f)} " in said for f in forms if normalise(f)):
            return str(value)
    return None


_MISSING = re.compile(r"^missing (.+) for (\S+)$")  # the reason of a missing-argument no_tool (bank.py)


def extra_value(catalogue: Catalogue, target: dict, request: str) -> Optional[str]:
    """An argument that the target leaves out although the request says a value for it, judged by
    the argument's `pattern` (a call without the optional order ID while the request names one; a
    "missing order_id for track_order" no_tool whose request gives one), or None."""
    if target["tool"] == NO_TOOL:
        m = _MISSING.match(target.get("reason", ""))
        if not m or m.group(2) not in catalogue:
            return None
        tool, absent = catalogue[m.group(2)], m.group(1).split(" and ")
    else:
        tool = catalogue[target["tool"]]
        absent = [a for a in tool.properties if a not in target["arguments"]]
    for arg in absent:
        pattern = tool.properties.get(arg, {}).get("pattern")
        if not pattern:
            continue
        core = pattern[1:] if pattern.startswith("^") else pattern
        core = core[:-1] if core.endswith("$") and not core.endswith("\\$") else core
        try:
            if re.search(rf"(?<!\w)(?:{core})(?!\w)", request):
                return arg
        except re.error:
            continue
    return None


def _walk(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    elif value is not None:
        yield value


class NearDuplicates:
    """Texts indexed by their normalised word sets; `find` answers whether a text has a neighbour at
    Jaccard >= threshold. Prefix filtering (Bayardo et al., "Scaling up all pairs similarity search"):
    with words in one fixed order, two sets that similar share a word among the first
    |x| - ceil(t|x|) + 1 of each, so only those are indexed and probed (2 of 8 words at t = 0.85)."""

    def __init__(self, threshold: float = NEAR_DUPLICATE):
        self.threshold = threshold
        self.sets: list[frozenset] = []
        self.postings: dict[str, list[int]] = {}

    def _prefix(self, words: frozenset) -> list[str]:
        order = sorted(words, key=lambda w: (-len(w), w))  # any fixed order is exact; long words are rarer
        return order[:len(words) - math.ceil(self.threshold * len(words)) + 1]

    def add(self, text: str) -> None:
        words = frozenset(normalise(text).split())
        for w in self._prefix(words):
            self.postings.setdefault(w, []).append(len(self.sets))
        self.sets.append(words)

    def find(self, text: str) -> bool:
        words = frozenset(normalise(text).split())
        seen: set[int] = set()
        for w in self._prefix(words):
            for i in self.postings.get(w, ()):
                if i not in seen:
                    seen.add(i)
                    other = self.sets[i]
                    inter = len(words & other)
                    if inter / (len(words) + len(other) - inter) >= self.threshold:
                        return True
        return False


# ---------------------------------------------------------------------------------------------
# the build

def sample_targets(catalogue: Catalogue, n: int, seed: int, no_tool_ratio: float, mode: str, robust: bool):
    """Answer first: the targets to ask the teacher for, each with the prompt it is shown in. Today
    these are the schema/bank generator's rows (a Dataset); the teacher replaces the requests of
    train and val, and the test split is kept as generated. The one place the teacher depends on
    how targets are sampled."""
    from toolrouter.data.pipeline import build_dataset

    return build_dataset(catalogue, n=n, seed=seed, no_tool_ratio=no_tool_ratio, mode=mode, robust=robust)


@dataclass
class _Tally:
    responses: int = 0
    requests: int = 0
    kept: int = 0
    unused: int = 0  # verified but the split was already full
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejected: dict = field(default_factory=lambda: {r: 0 for r in REASONS})


def build_with_teacher(catalogue: Union[Catalogue, str, Path], teacher: Teacher, n: int = 2000, seed: int = 0,
                       no_tool_ratio: float = 0.15, mode: str = "compact", robust: bool = False,
                       stats: Optional[Stats] = None, progress: bool = True):
    """Train and val rows whose requests the teacher wrote for targets sampled first (see the module
    docstring), the test split as generated. Same arguments and cache, same rows. Raises
    ToolrouterError when the teacher cannot be reached or keeps failing."""
    from toolrouter.data.pipeline import Dataset, _enum_args, _split_stats

    start = time.perf_counter()
    catalogue = load_catalogue(catalogue)
    if teacher.concurrency < 1:
        raise ToolrouterError(f"--teacher-concurrency must be at least 1 (got {teacher.concurrency})")
    base = sample_targets(catalogue, n, seed, no_tool_ratio, mode, robust)
    stats = stats if stats is not None else Stats()
    client = Client(teacher, stats)
    gold, test = NearDuplicates(), NearDuplicates()
    gold_files = sorted((PACKAGE_DIR / "evals").glob("*.jsonl"))
    for path in gold_files:
        for _, row in read_jsonl(path):
            gold.add(row.get("prompt", "") if isinstance(row, dict) else "")
    for row in base.splits["test"]:
        test.add(row["messages"][1]["content"])
    kept, tally = NearDuplicates(), _Tally()
    splits, warnings = {}, list(base.report.get("warnings", []))
    with ThreadPoolExecutor(max_workers=teacher.concurrency) as pool:
        for split in ("train", "val"):
            rows = _teach_split(base.splits[split], split, seed, catalogue, client, pool, (gold, test, kept),
                                tally, progress)
            want = len(base.splits[split])
            if len(rows) < want:
                warnings.append(f"{split}: the teacher's verified requests filled {len(rows)} of {want} rows "
                                f"(rejected so far: {_nonzero(tally.rejected)}); ask for fewer rows or a stronger teacher")
            random.Random(f"{seed}:teacher:{split}").shuffle(rows)
            splits[split] = rows
    splits["test"] = base.splits["test"]
    report = dict(base.report)
    enum_args = _enum_args(catalogue)
    report["splits"], report["enum_coverage"], used = {}, {}, {}
    for split in ("train", "val", "test"):
        report["splits"][split], report["enum_coverage"][split], used[split] = _split_stats(splits[split], enum_args)
    report["templates"] = {**base.report["templates"],
                           "test_templates_seen_in_train": sorted(used["test"] & used["train"])}
    report["warnings"] = warnings
    report["teacher"] = {
        "model": teacher.model, "prompt_version": PROMPT_VERSION, "requests_per_call": REQUESTS_PER_CALL,
        "splits": ["train", "val"], "responses": tally.responses, "requests": tally.requests, "kept": tally.kept,
        "rejected": tally.rejected, "unused": tally.unused,
        "tokens": {"prompt": tally.prompt_tokens, "completion": tally.completion_tokens,
                   "total": tally.prompt_tokens + tally.completion_tokens},
        "decontaminated_against": ["test split"] + [str(p.relative_to(PACKAGE_DIR)) for p in gold_files],
        "near_duplicate_jaccard": NEAR_DUPLICATE,
    }
    return Dataset(splits, report, seconds=time.perf_counter() - start)


def _nonzero(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"


def _teach_split(targets: list[dict], split: str, seed: int, catalogue: Catalogue, client: Client,
                 pool: ThreadPoolExecutor, indexes: tuple, tally: _Tally, progress: bool) -> list[dict]:
    """Ask for targets in order, a wave at a time, until the split's calls and negatives are full.
    Results are used in target order, so the rows do not depend on which answer arrived first."""
    from tqdm import tqdm

    need = {"call": sum(t["meta"]["tool"] != NO_TOOL for t in targets)}
    need["neg"] = len(targets) - need["call"]
    rows: list[dict] = []
    pos = 0
    bar = tqdm(total=0, desc=f"teacher {split}", unit="call", disable=None if progress else True, leave=False)
    try:
        while any(need.values()) and pos < len(targets):
            size = max(client.teacher.concurrency, math.ceil(sum(need.values()) / REQUESTS_PER_CALL))
            wave = []
            while pos < len(targets) and len(wave) < size:
                if need[_cls(targets[pos])]:
                    wave.append(pos)
                pos += 1
            bodies = [_body(targets[i], i, split, seed, catalogue, client.teacher.model) for i in wave]
            bar.total += len(bodies)
            bar.refresh()
            futures = [pool.submit(client.complete, body) for body in bodies]
            records = []
            try:
                for f in futures:
                    records.append(f.result())
                    bar.update(1)
            except BaseException:
                for f in futures:
                    f.cancel()  # queued calls are dropped; running ones finish and are cached
                raise
            for i, record in zip(wave, records):
                rows += _verify(targets[i], record, catalogue, indexes, tally, need)
    finally:
        bar.close()
    return rows


def _cls(row: dict) -> str:
    return "neg" if row["meta"]["tool"] == NO_TOOL else "call"


def _body(row: dict, index: int, split: str, seed: int, catalogue: Catalogue, model: str) -> dict:
    target = json.loads(row["messages"][-1]["content"])
    kind = row["meta"]["kind"].split(":", 1)[-1]
    # The same target can come up twice (a greeting, an enum-only call): the seed makes each ask its own.
    return {"model": model, "messages": make_prompt(catalogue, target, kind, REQUESTS_PER_CALL),
            "temperature": TEMPERATURE, "seed": zlib.crc32(f"{seed}:{split}:{index}".encode())}


def _verify(row: dict, record: dict, catalogue: Catalogue, indexes: tuple, tally: _Tally, need: dict) -> list[dict]:
    gold, test, kept = indexes
    response = record.get("response") or {}
    usage = response.get("usage") or {}
    tally.responses += 1
    tally.prompt_tokens += int(usage.get("prompt_tokens") or 0)
    tally.completion_tokens += int(usage.get("completion_tokens") or 0)
    choices = response.get("choices") or [{}]
    requests = parse_requests(((choices[0] or {}).get("message") or {}).get("content"))
    if requests is None:
        tally.rejected["malformed"] += 1
        return []
    tally.requests += len(requests)
    target_text = row["messages"][-1]["content"]
    target = json.loads(target_text)
    result = parse_tool_call(target_text, catalogue)
    if result.kind != ("no_tool" if target["tool"] == NO_TOOL else "call"):
        tally.rejected["target_invalid"] += len(requests)
        return []
    out, cls = [], _cls(row)
    for i, request in enumerate(requests):
        if gold.find(request):
            reason = "evals"
        elif test.find(request):
            reason = "test_split"
        elif target["tool"] != NO_TOOL and missing_value(target["arguments"], request) is not None:
            reason = "value_missing"
        elif extra_value(catalogue, target, request) is not None:
            reason = "extra_value"
        elif kept.find(request):
            reason = "duplicate"
        else:
            reason = None
        if reason:
            tally.rejected[reason] += 1
            continue
        if not need[cls]:
            tally.unused += 1
            continue
        need[cls] -= 1
        kept.add(request)
        tally.kept += 1
        messages = [row["messages"][0], {"role": "user", "content": request}, row["messages"][-1]]
        new = {"messages": messages, **({"tools": row["tools"]} if "tools" in row else {})}
        new["meta"] = {**row["meta"], "template": f"teacher:{record['key'][:16]}:{i}",
                       "teacher": {"model": record["request"]["model"], "cache_key": record["key"],
                                   "prompt_version": record.get("prompt_version", PROMPT_VERSION), "index": i}}
        out.append(new)
    return out


def print_teacher_summary(dataset, stats: Stats) -> None:
    """Kept and rejected requests by reason, tokens, and what this run did over HTTP."""
    from rich.console import Console
    from rich.table import Table

    rep = dataset.report["teacher"]
    console = Console(highlight=False)
    table = Table(title=f"teacher {rep['model']} (prompt v{rep['prompt_version']}): "
                        f"{rep['responses']} responses, {rep['requests']} requests")
    table.add_column("requests")
    table.add_column("count", justify="right")
    table.add_row("kept", str(rep["kept"]))
    for reason, count in rep["rejected"].items():
        table.add_row(f"rejected: {reason}", str(count))
    table.add_row("verified, not needed", str(rep["unused"]))
    console.print(table)
    tok = rep["tokens"]
    console.print(f"tokens of the responses used: {tok['prompt']:,} prompt + {tok['completion']:,} completion "
                  f"= {tok['total']:,}")
    console.print(f"this run: {stats.http_calls} HTTP calls ({stats.tokens_spent:,} tokens spent), "
                  f"{stats.cache_hits} answered from the cache, {stats.retries} retries")


# ---------------------------------------------------------------------------------------------
# command line: `toolrouter data build ... --teacher URL --teacher-model NAME`

def add_arguments(build) -> None:
    """The teacher's options of `data build`."""
    group = build.add_argument_group(
        "teacher", "requests for train and val written by an LLM behind an OpenAI-compatible endpoint "
                   f"(API key from ${API_KEY_VARS[0]}, else ${API_KEY_VARS[1]}; local servers need none)")
    group.add_argument("--teacher", metavar="URL", default=None,
                       help="base URL, e.g. http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:11434/v1 (Ollama)")
    group.add_argument("--teacher-model", metavar="NAME", default=None, help="the model name the server knows")
    group.add_argument("--teacher-cache", metavar="DIR", default=None,
                       help="response cache (default ~/.cache/toolrouter/teacher); a rerun makes no HTTP call")
    group.add_argument("--teacher-concurrency", metavar="N", type=int, default=4, help="calls in flight at most")


def command(args) -> int:
    """`data build --teacher ...`: build, write, print the data summary and the teacher's."""
    from toolrouter.data.pipeline import print_summary, write_dataset

    if not args.teacher_model:
        raise ToolrouterError("--teacher needs --teacher-model NAME (the model name the server knows, e.g. "
                              "Qwen/Qwen2.5-7B-Instruct for vLLM or qwen2.5:7b for Ollama)")
    teacher = Teacher(url=args.teacher, model=args.teacher_model, cache_dir=args.teacher_cache,
                      concurrency=args.teacher_concurrency)
    stats = Stats()
    dataset = build_with_teacher(args.catalogue, teacher, n=args.n, seed=args.seed, no_tool_ratio=args.no_tool_ratio,
                                 mode=args.mode, robust=args.robust, stats=stats)
    write_dataset(dataset, args.out)
    print_summary(dataset, args.out)
    print_teacher_summary(dataset, stats)
    return 0
