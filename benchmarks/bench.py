"""`make bench`: per-turn latency and throughput of text conversations through the REST channel.

Three setups run side by side on this machine, in the same run, measured in turn:

- **bare**: the bot `rasa init` makes (Rasa 3.6's own example: DIET, TED, in-memory trackers),
  trained here from Rasa's packaged starter project: the framework's floor;
- **ours, one machine**: our model, one Rasa server and one action server, trackers and claims
  in SQLite (the default `make run` setup);
- **ours, scaled**: two Rasa replicas and two action servers behind the local load balancers,
  trackers and claims in PostgreSQL, locks in Redis, events to RabbitMQ (`make run-scaled`,
  rasa_server/launcher.py Deployment), on fresh benchmark databases.

At 1, 10 and 50 concurrent conversations each client holds real multi-turn conversations (ours:
identity check and status, a document question, a clause question, a report cancelled
halfway; bare: chit-chat), each turn timed from request to answer. Then the figures the issue
asks for: p50/p95/p99 latency and throughput per setup and concurrency, the ratios ours/bare,
memory per process, training times, and where a turn of ours spends its time (an in-process
agent with timers on NLU, policy, action server calls and the tracker store, plus a profile of
the action server). Prints a markdown table and a machine description; writes
results/bench.md and results/bench.json.

    .venv/bin/python benchmarks/bench.py            # full run (about 15-20 minutes on 2 cores)
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench.py   # short run that proves it works
    .venv/bin/python benchmarks/bench.py --setups bare ours --levels 1 10 --seconds 20

Quick runs reuse a trained bare model from var/bench/ when there is one and skip training ours.
The machine is shared with whatever else runs: the load average before and after is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import pstats
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name, percentile  # noqa: E402
from rasa_server.launcher import (  # noqa: E402
    REST_PATH,
    ChildServer,
    Deployment,
    Servers,
    endpoints_for_actions_port,
    free_port,
    venv_python,
)

RESULTS = ROOT / "results"
CACHE = ROOT / "var" / "bench"
LEVELS = (1, 10, 50)
BENCH_DB = "claims_bench"
BENCH_TRACKERS = "claims_bench_trackers"
BENCH_REDIS_DB = 3
BENCH_QUEUE = "claims_bench_events"
PG_ADMIN = os.environ.get("CLAIMS_BENCH_PG_URL",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS_HOST = os.environ.get("CLAIMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("CLAIMS_BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")

# Real, multi-turn conversations; each client goes through them in turn with a new sender id.
# Read-only on purpose: a benchmark that stored claims would measure a growing database.
OURS = [
    ["你好", "查一下我的理赔进度", "AUTO-2026-0001", "1985-04-12", "还需要交什么材料",
     "免赔额是什么意思", "谢谢"],
    ["hello", "where is my claim?", "HOME-2026-0001", "0003", "CLM-2026-000001",
     "what is the waiting period?", "thanks, bye"],
    ["我要报案,昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块", "AUTO-2026-0001",
     "1985-04-12", "没人受伤", "算了"],
    ["车险理赔要准备什么材料", "住院理赔需要什么材料", "请问等待期内住院能赔吗", "谢谢"],
]
BARE = [
    ["hello", "I am feeling great", "bye"],
    ["hi", "I am sad", "yes", "goodbye"],
    ["good morning", "not good", "no", "see you later"],
    ["hey", "are you a bot?", "bye bye"],
]


# --- measuring ---------------------------------------------------------------------------------

@dataclass
class Load:
    setup: str
    concurrency: int
    seconds: float
    turns: int
    errors: int
    throughput: float  # turns per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    error_samples: List[str] = field(default_factory=list)


async def _drive(url: str, scripts: List[List[str]], concurrency: int, seconds: float,
                 warmup_s: float, whole: bool = False) -> tuple[List[float], List[str], float]:
    """`concurrency` clients, each holding one conversation after another until the time is up
    (`whole`: one client going through every script once, whatever the time); returns the
    timed turns' latencies (s), the errors and the measured wall time."""
    import aiohttp

    latencies: List[float] = []
    errors: List[str] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        measure_from = started + warmup_s
        stop_at = measure_from + seconds
        last_done = measure_from

        async def client(number: int) -> None:
            nonlocal last_done
            rng = random.Random(number)
            queue = list(scripts) if whole else []
            while queue or (not whole and time.perf_counter() < stop_at):
                script = queue.pop(0) if whole else rng.choice(scripts)
                sender = f"bench-{number}-{uuid.uuid4().hex[:10]}"
                for text in script:
                    if not whole and time.perf_counter() >= stop_at:
                        return
                    sent = time.perf_counter()
                    try:
                        async with session.post(url, json={"sender": sender, "message": text}
                                                ) as res:
                            body = await res.read()
                            ok = res.status == 200 and any(
                                m.get("text") for m in json.loads(body or b"[]"))
                            problem = "" if ok else f"{res.status} {body[:120]!r} for {text!r}"
                    except Exception as error:  # a refused connection, a timeout: counted
                        problem = f"{type(error).__name__}: {error}"
                    done = time.perf_counter()
                    if sent >= measure_from:  # turns begun in the warm-up are not counted
                        if problem:
                            errors.append(problem)
                        else:
                            latencies.append(done - sent)
                        last_done = max(last_done, done)

        await asyncio.gather(*(client(n) for n in range(concurrency)))
    return latencies, errors, max(last_done - measure_from, 1e-9)


def warm(url: str, scripts: List[List[str]], rounds: int = 2) -> None:
    """Every conversation once or twice before anything is timed: first uses load catalogues,
    tokenizers and connections in each process (with several replicas, in each of them)."""
    asyncio.run(_drive(url, scripts * rounds, 1, 0.0, 0.0, whole=True))


def measure(setup: str, url: str, scripts: List[List[str]], concurrency: int, seconds: float,
            warmup_s: float) -> Load:
    latencies, errors, wall = asyncio.run(_drive(url, scripts, concurrency, seconds, warmup_s))
    ms = [x * 1000 for x in latencies]
    return Load(
        setup=setup, concurrency=concurrency, seconds=round(wall, 2), turns=len(ms),
        errors=len(errors), throughput=round(len(ms) / wall, 2),
        p50_ms=round(percentile(ms, 50), 1), p95_ms=round(percentile(ms, 95), 1),
        p99_ms=round(percentile(ms, 99), 1),
        mean_ms=round(statistics.fmean(ms), 1) if ms else float("nan"),
        error_samples=errors[:5],
    )


def memory_mb(pid: int | None) -> Dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), MiB."""
    found: Dict[str, float] = {}
    if pid is None:
        return found
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found["rss_mb" if key == "VmRSS" else "peak_mb"] = round(
                    int(value.split()[0]) / 1024, 1)
    return found


def machine() -> Dict[str, Any]:
    memory = ""
    with contextlib.suppress(OSError):
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kb / 1024 / 1024:.1f} GiB"
    from importlib.metadata import version

    return {"cpu": cpu_name(), "cores": os.cpu_count(), "memory": memory,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "rasa": version("rasa"),
            "rasa_sdk": version("rasa-sdk"), "load_average_before": os.getloadavg()}


# --- the setups --------------------------------------------------------------------------------

def run_quiet(command: List[str], env: Dict[str, str] | None = None, cwd: Path = ROOT,
              timeout: float = 3600) -> float:
    """Runs a command to completion; returns its wall time. Its output shows only on failure."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=str(cwd), env={**os.environ, **(env or {})},
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def bare_model(work: Path, quick: bool) -> tuple[Path, Path, float | None]:
    """Rasa's starter project (what `rasa init` copies) and its model; the training time.
    Quick runs reuse var/bench/bare-<rasa version>.tar.gz when present."""
    import rasa

    project = work / "bare"
    shutil.copytree(Path(rasa.__file__).parent / "cli" / "initial_project", project,
                    ignore=shutil.ignore_patterns("__pycache__"))
    cached = CACHE / f"bare-{rasa.__version__}.tar.gz"
    if quick and cached.exists():
        return project, cached, None
    seconds = run_quiet([str(Path(venv_python()).parent / "rasa"), "train", "--out", "models",
                         "--fixed-model-name", "bare"], cwd=project)
    model = project / "models" / "bare.tar.gz"
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, cached)
    return project, model, seconds


def train_ours(work: Path) -> float:
    """Our project trained from scratch into a scratch folder (models/ is left alone)."""
    out = work / "ours-model"
    return run_quiet([str(Path(venv_python()).parent / "rasa"), "train", "--out", str(out),
                      "--fixed-model-name", "bench"])


def seed(url: str, var_dir: Path) -> None:
    run_quiet([venv_python(), "-m", "bot", "seed", "--reset"],
              env={"CLAIMS_DB_URL": url, "CLAIMS_VAR_DIR": str(var_dir)}, timeout=600)


class BareServer:
    """The bare bot: `rasa run` alone (its starter project calls no action server)."""

    def __init__(self, project: Path, model: Path, log_dir: Path) -> None:
        self.port = free_port()
        self.child = ChildServer(
            "bare", [venv_python(), "-m", "rasa", "run", "--model", str(model),
                     "--port", str(self.port), "--interface", "127.0.0.1",
                     "--credentials", str(project / "credentials.yml"),
                     "--endpoints", str(project / "endpoints.yml")],
            log_dir / "bare.log", echo=False)
        self.project = project

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.child.start({**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, self.project)

    def wait(self, timeout: float = 600) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.child.alive():
                raise RuntimeError(f"the bare bot stopped:\n{self.child.tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    self.url + "/", timeout=2) as res:  # answers once the model is loaded
                if res.status == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"the bare bot did not start:\n{self.child.tail()}")

    def stop(self) -> None:
        self.child.signal_group(signal.SIGTERM)
        if not self.child.wait(15):
            self.child.signal_group(signal.SIGKILL)
            self.child.wait(5)
        self.child.close()


def bench_credentials(work: Path) -> Path:
    """Our channels plus Rasa's REST channel, the one all three setups are measured through."""
    path = work / "credentials.yml"
    path.write_text("rest:\n\nchannels.webchat.WebChatInput: {}\n"
                    "channels.core_api.CoreApiInput: {}\n"
                    "channels.agent_console.AgentConsoleInput: {}\n", encoding="utf-8")
    return path


def pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN).set(database=database).render_as_string(hide_password=False)


def fresh_postgres(*databases: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in databases:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_bench_queue() -> None:
    """Nobody reads the benchmark's events: their queue goes when the run ends."""
    import aio_pika  # what Rasa's own broker uses

    async def drop() -> None:
        connection = await aio_pika.connect_robust(RABBITMQ_URL, timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(BENCH_QUEUE)

    try:
        asyncio.run(drop())
    except Exception as error:  # a queue left behind is harmless: say so and go on
        print(f"[bench] could not delete the RabbitMQ queue {BENCH_QUEUE}: {error}", flush=True)


# --- where a turn spends its time ----------------------------------------------------------------

PHASES = ("nlu", "policy", "action server calls", "tracker store", "conversation lock")


def phase_profile(model: Path, endpoints: Path, scripts: List[List[str]], turns: int,
                  out: Path) -> None:
    """Runs in a child process (`--phases`): a Rasa agent in-process, the same code path as
    the server's, with timers on each phase of a turn; writes the mean per turn to `out`."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.core.utils import AvailableEndpoints

    spent: Dict[str, float] = {phase: 0.0 for phase in PHASES}
    calls: Dict[str, int] = {phase: 0 for phase in PHASES}

    def timed_async(owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started
                calls[phase] += 1

        setattr(owner, name, wrapper)

    def timed(owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started
                calls[phase] += 1

        setattr(owner, name, wrapper)

    timed_async(MessageProcessor, "parse_message", "nlu")
    # The agent takes the conversation's lock, then the processor runs the turn: the lock's
    # share is the agent's time less the processor's.
    timed_async(MessageProcessor, "handle_message", "conversation lock")
    timed(MessageProcessor, "_predict_next_with_tracker", "policy")
    timed_async(RemoteAction, "run", "action server calls")

    async def main() -> Dict[str, Any]:
        agent = await load_agent(str(model), endpoints=AvailableEndpoints.read_endpoints(
            str(endpoints)))
        store = agent.tracker_store
        for name in ("retrieve", "save"):  # what a turn calls (one may call the other inside)
            timed_async(store, name, "tracker store")
        total = 0.0
        done = 0
        rng = random.Random(7)
        for n, script in enumerate(scripts):  # warm-up: first uses load lazily (OpenCC,
            sender = f"warm-{n}-{uuid.uuid4().hex[:6]}"  # Jieba, catalogues, connections)
            for text in script:
                await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
        for phase in PHASES:
            spent[phase], calls[phase] = 0.0, 0
        while done < turns:
            sender = f"phases-{uuid.uuid4().hex[:10]}"
            for text in rng.choice(scripts):
                started = time.perf_counter()
                await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
                total += time.perf_counter() - started
                done += 1
        spent["conversation lock"] = total - spent["conversation lock"]
        calls["conversation lock"] = done
        return {"turns": done, "total_ms": round(total / done * 1000, 2),
                "phases_ms": {p: round(spent[p] / done * 1000, 2) for p in PHASES},
                "calls_per_turn": {p: round(calls[p] / done, 2) for p in PHASES}}

    out.write_text(json.dumps(asyncio.run(main())), encoding="utf-8")


def run_phases(model: Path, endpoints: Path, scripts: List[List[str]], turns: int,
               env: Dict[str, str], work: Path, name: str) -> Dict[str, Any]:
    out = work / f"phases-{name}.json"
    scripts_file = work / f"scripts-{name}.json"
    scripts_file.write_text(json.dumps(scripts, ensure_ascii=False), encoding="utf-8")
    run_quiet([venv_python(), str(Path(__file__).resolve()), "--phases", str(model),
               str(endpoints), str(scripts_file), str(turns), str(out)], env=env, timeout=1800)
    return json.loads(out.read_text(encoding="utf-8"))


def action_server_profile(stats_file: Path, top: int = 8) -> Dict[str, Any]:
    """What the action server's CPU went to per request (cProfile: async code counts only its
    time on the CPU; the profiler itself roughly doubles it). Imports at start are left out."""
    stats = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]

    def entries(match: Callable[[str, str], bool]) -> List[tuple[int, float, str]]:
        return [(nc, ct, f"{Path(fn).parent.name}/{Path(fn).name}:{line} {func}")
                for (fn, line, func), (_, nc, _, ct, _) in stats.items() if match(fn, func)]

    webhook = entries(lambda fn, func: fn.endswith("rasa_sdk/endpoint.py") and func == "webhook")
    requests_n = sum(nc for nc, _, _ in webhook) or 1
    busy = sum(ct for _, ct, _ in webhook)
    sql = entries(lambda fn, func: fn.endswith("sqlalchemy/orm/session.py")
                  and func == "execute")
    ours = [(ct, nc, name) for nc, ct, name in entries(
        lambda fn, func: fn.startswith((str(ROOT / "actions"), str(ROOT / "bot")))
        and func != "<module>")]
    return {
        "requests": requests_n,
        "cpu_ms_per_request": round(busy / requests_n * 1000, 1),
        "sql_queries_per_request": round(sum(nc for nc, _, _ in sql) / requests_n, 1),
        "sql_ms_per_request": round(sum(ct for _, ct, _ in sql) / requests_n * 1000, 1),
        "heaviest": [{"function": name, "calls": nc, "cpu_ms_per_call": round(ct / nc * 1000, 1)}
                     for ct, nc, name in sorted(ours, reverse=True)[:top]],
    }


# --- the report ----------------------------------------------------------------------------------

def ratios(loads: List[Load], setup: str) -> List[Dict[str, Any]]:
    bare = {load.concurrency: load for load in loads if load.setup == "bare"}
    rows = []
    for load in loads:
        if load.setup != setup or load.concurrency not in bare:
            continue
        base = bare[load.concurrency]

        def ratio(a: float, b: float) -> float:
            return round(a / b, 2) if b and a == a and b == b else float("nan")

        row = {"setup": setup, "concurrency": load.concurrency,
               "p50": ratio(load.p50_ms, base.p50_ms), "p95": ratio(load.p95_ms, base.p95_ms),
               "p99": ratio(load.p99_ms, base.p99_ms),
               "throughput": ratio(load.throughput, base.throughput)}
        row["targets_met"] = bool(row["p50"] <= 1.5 and row["p95"] <= 1.5
                                  and row["throughput"] >= 0.7)
        rows.append(row)
    return rows


LABELS = {"bare": "bare Rasa (rasa init)", "ours": "ours, one machine (SQLite)",
          "scaled": "ours, scaled (2+2, PostgreSQL, Redis)"}


def markdown(report: Dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Benchmark: text turns through the REST channel",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}, "
        f"Rasa {m['rasa']}, rasa-sdk {m['rasa_sdk']}. Load average before "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_before'])}, after "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_after'])}. "
        f"{'Quick run' if report['quick'] else 'Full run'}: {report['seconds']} s per "
        f"measurement after {report['warmup_s']} s of warm-up.",
        "",
        "| setup | concurrent conversations | turns | errors | throughput (turns/s) "
        "| p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for load in report["loads"]:
        lines.append(f"| {LABELS[load['setup']]} | {load['concurrency']} | {load['turns']} | "
                     f"{load['errors']} | {load['throughput']} | {load['p50_ms']} | "
                     f"{load['p95_ms']} | {load['p99_ms']} |")
    if report["ratios"]:
        lines += ["", "Ratios ours / bare (targets: latency ≤ 1.5×, throughput ≥ 0.7×):", "",
                  "| setup | concurrent | p50 | p95 | p99 | throughput | targets met |",
                  "|---|---|---|---|---|---|---|"]
        for r in report["ratios"]:
            lines.append(f"| {LABELS[r['setup']]} | {r['concurrency']} | {r['p50']}× | "
                         f"{r['p95']}× | {r['p99']}× | {r['throughput']}× | "
                         f"{'yes' if r['targets_met'] else 'no'} |")
    lines += ["", "| process | RSS MiB (after the load) | peak MiB |", "|---|---|---|"]
    for name, mem in report["memory"].items():
        lines.append(f"| {name} | {mem.get('rss_mb', '')} | {mem.get('peak_mb', '')} |")
    t = report["training_s"]
    lines += ["", "Training: " + ", ".join(
        f"{name} {value:.0f} s" if value is not None else f"{name} not measured (quick run)"
        for name, value in t.items()) + "."]
    for name, phases in report.get("phases", {}).items():
        total = phases["total_ms"]
        lines += ["", f"Where a turn of {name} spends its time (one conversation at a time, "
                  f"in-process agent, {phases['turns']} turns, {total} ms per turn; the tracker "
                  "store includes streaming events to the broker):", "",
                  "| phase | ms per turn | share | calls per turn |", "|---|---|---|---|"]
        accounted = 0.0
        for phase, value in phases["phases_ms"].items():
            accounted += value
            lines.append(f"| {phase} | {value} | {value / total * 100:.0f}% | "
                         f"{phases['calls_per_turn'][phase]} |")
        rest = total - accounted
        lines.append(f"| the rest (Rasa's own bookkeeping, events, responses) | {rest:.2f} | "
                     f"{rest / total * 100:.0f}% | |")
    profile = report.get("action_server_profile")
    if profile:
        lines += ["", f"The action server under cProfile ({profile['requests']} action calls; "
                  "the profiler roughly doubles CPU time): "
                  f"{profile['cpu_ms_per_request']} ms of CPU per call, of which SQL "
                  f"{profile['sql_ms_per_request']} ms in {profile['sql_queries_per_request']} "
                  "queries. Heaviest of our functions (CPU ms per call, first uses loading "
                  "the reply and clause catalogues included): " + "; ".join(
                      f"{row['function']} {row['cpu_ms_per_call']} ({row['calls']}×)"
                      for row in profile["heaviest"][:6]) + "."]
    return "\n".join(lines) + "\n"


# --- the run -------------------------------------------------------------------------------------

@contextlib.contextmanager
def started(setups: Sequence[str], work: Path, quick: bool, log: Callable[[str], None]
            ) -> Iterator[Dict[str, Any]]:
    """Every setup up at once (so the measurements can alternate); stopped at the end."""
    model = Path(os.environ.get("CLAIMS_MODEL") or ROOT / "models" / "current.tar.gz")
    running: Dict[str, Any] = {"model": model}
    stops: List[Callable[[], None]] = []
    try:
        credentials = bench_credentials(work)
        if "bare" in setups:
            log("bare bot: the starter project of `rasa init`, trained here …")
            project, bare, seconds = bare_model(work, quick)
            running["bare_training_s"] = seconds
            running["bare_model"] = bare
            server = BareServer(project, bare, work)
            server.start()
            stops.append(server.stop)
            running["bare"] = server
        if "ours" in setups:
            var = work / "ours-var"
            seed(f"sqlite:///{var / 'claims.db'}", var)
            servers = Servers(model, credentials=credentials, log_dir=work / "ours-logs", env={
                "CLAIMS_DB_URL": f"sqlite:///{var / 'claims.db'}", "CLAIMS_VAR_DIR": str(var),
                "CLAIMS_TRACKER_STORE_URL": "", "CLAIMS_REDIS_URL": "",
                "CLAIMS_RABBITMQ_URL": "", "RASA_TELEMETRY_ENABLED": "false"})
            servers.start()
            stops.append(servers.stop)
            running["ours"] = servers
        if "scaled" in setups:
            from scripts.run_scaled import check_rabbitmq, check_redis, scale_env

            fresh_postgres(BENCH_DB, BENCH_TRACKERS)
            check_redis(f"{REDIS_HOST}/{BENCH_REDIS_DB}")
            check_rabbitmq(RABBITMQ_URL)
            var = work / "scaled-var"
            seed(pg_url(BENCH_DB), var)
            running["scaled_env"] = scale_env(pg_url(BENCH_DB), pg_url(BENCH_TRACKERS),
                                              f"{REDIS_HOST}/{BENCH_REDIS_DB}", RABBITMQ_URL,
                                              var, queue=BENCH_QUEUE)
            deployment = Deployment(model, credentials=credentials, log_dir=work / "scaled-logs",
                                    env=running["scaled_env"])
            deployment.start()
            stops.append(drop_bench_queue)
            stops.append(deployment.stop)
            running["scaled"] = deployment
        log("waiting for the servers …")
        if "bare" in running:
            running["bare"].wait()
        if "ours" in running:
            running["ours"].wait_until_ready()
        if "scaled" in running:
            running["scaled"].wait_until_ready()
        yield running
    finally:
        for stop in reversed(stops):
            with contextlib.suppress(Exception):
                stop()


def rest_url(running: Dict[str, Any], setup: str) -> str:
    return running[setup].url + REST_PATH if setup == "bare" else running[setup].rest_url


def processes(running: Dict[str, Any]) -> Dict[str, int | None]:
    found: Dict[str, int | None] = {}
    if "bare" in running:
        found["bare: rasa"] = running["bare"].child.pid
    if "ours" in running:
        found["ours: rasa"] = running["ours"].rasa.pid
        found["ours: action server"] = running["ours"].actions.pid
    if "scaled" in running:
        for name, child in running["scaled"].servers.items():
            found[f"scaled: {name}"] = child.pid
    return found


def _action_server(work: Path, env: Dict[str, str], name: str,
                   profile_to: Path | None = None) -> tuple[ChildServer, int]:
    """An action server of its own (under cProfile when `profile_to` is given), ready."""
    import urllib.request

    port = free_port()
    command = [venv_python()]
    if profile_to is not None:
        command += ["-m", "cProfile", "-o", str(profile_to)]
    command += ["-m", "actions.server", "--actions", "actions", "--port", str(port)]
    child = ChildServer(name, command, work / f"{name}.log", echo=False)
    child.start({**os.environ, **env, "PYTHONUNBUFFERED": "1"}, ROOT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{name} stopped:\n{child.tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(
                f"http://127.0.0.1:{port}/health", timeout=2):
            return child, port
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not start:\n{child.tail()}")


def _stop(child: ChildServer) -> None:
    child.signal_group(signal.SIGINT)  # a clean stop: cProfile writes its file
    if not child.wait(30):
        child.signal_group(signal.SIGKILL)
        child.wait(5)
    child.close()


def profile_turns(running: Dict[str, Any], work: Path, turns: int,
                  log: Callable[[str], None]) -> Dict[str, Any]:
    """Phase timers for ours and for the bare bot (in-process agents, one turn at a time); then
    the same turns again against an action server under cProfile, for its CPU by family (a
    separate pass: the profiler's overhead would distort the timings)."""
    found: Dict[str, Any] = {"phases": {}}
    model = running["model"]
    var = work / "phases-var"
    url = f"sqlite:///{var / 'claims.db'}"
    seed(url, var)
    env = {"CLAIMS_DB_URL": url, "CLAIMS_VAR_DIR": str(var), "CLAIMS_TRACKER_STORE_URL": "",
           "CLAIMS_REDIS_URL": "", "CLAIMS_RABBITMQ_URL": "", "RASA_TELEMETRY_ENABLED": "false"}
    actions, port = _action_server(work, env, "phases-actions")
    try:
        endpoints = endpoints_for_actions_port(ROOT / "endpoints.yml", port, work)
        log(f"timing the phases of {turns} turns of ours, one at a time …")
        found["phases"]["ours"] = run_phases(model, endpoints, OURS, turns, env, work, "ours")
    finally:
        _stop(actions)
    if "scaled" in running:  # the same in-process agent on the scaled setup's stores
        deployment = running["scaled"]
        scaled_dir = work / "phases-scaled"
        scaled_dir.mkdir()
        endpoints = endpoints_for_actions_port(ROOT / "endpoints.yml",
                                               deployment.actions_port, scaled_dir)
        log(f"timing the phases of {turns} turns of ours on the scaled setup's stores …")
        found["phases"]["ours, scaled"] = run_phases(
            model, endpoints, OURS, turns, running["scaled_env"], work, "scaled")
    if "bare_model" in running:
        log(f"timing the phases of {turns} turns of the bare bot …")
        found["phases"]["bare"] = run_phases(
            running["bare_model"], running["bare"].project / "endpoints.yml", BARE, turns,
            {"RASA_TELEMETRY_ENABLED": "false"}, work, "bare")
    stats_file = work / "actions.prof"
    actions, port = _action_server(work, env, "profiled-actions", profile_to=stats_file)
    try:
        endpoints = endpoints_for_actions_port(ROOT / "endpoints.yml", port, work)
        log("profiling the action server over the same kind of turns …")
        run_phases(model, endpoints, OURS, max(turns // 2, 10), env, work, "profiled")
    finally:
        _stop(actions)
    if stats_file.exists():
        found["action_server_profile"] = action_server_profile(stats_file)
    return found


def main(argv: List[str] | None = None) -> int:
    # One action server secret for the whole run: the launched servers, our own action servers
    # and the in-process agents (endpoints.yml sends it) all read it from this environment.
    os.environ.setdefault("CLAIMS_ACTION_SERVER_TOKEN", secrets.token_urlsafe(32))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setups", nargs="+", default=["bare", "ours", "scaled"],
                        choices=["bare", "ours", "scaled"])
    parser.add_argument("--levels", nargs="+", type=int, default=list(LEVELS))
    parser.add_argument("--seconds", type=float, help="measured seconds per setup and level")
    parser.add_argument("--profile-turns", type=int, help="turns timed phase by phase")
    parser.add_argument("--no-train", action="store_true", help="do not time our training")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--phases", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phases:
        model, endpoints, scripts, turns, out = args.phases
        phase_profile(Path(model), Path(endpoints),
                      json.loads(Path(scripts).read_text(encoding="utf-8")), int(turns),
                      Path(out))
        return 0

    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    seconds = args.seconds or (8.0 if quick else 45.0)
    warmup = 2.0 if quick else 5.0
    profile_turns_n = args.profile_turns or (25 if quick else 150)

    def log(text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)

    report: Dict[str, Any] = {"machine": machine(), "quick": quick, "seconds": seconds,
                              "warmup_s": warmup, "levels": args.levels, "loads": [],
                              "memory": {}, "training_s": {}}
    with tempfile.TemporaryDirectory(prefix="claims-bench-") as tmp:
        work = Path(tmp)
        if not quick and not args.no_train:
            log("training our model from scratch (timed) …")
            report["training_s"]["ours"] = round(train_ours(work), 1)
        else:
            report["training_s"]["ours"] = None
        with started(args.setups, work, quick, log) as running:
            if "bare" in running:
                report["training_s"]["bare (rasa init)"] = (
                    round(running["bare_training_s"], 1)
                    if running.get("bare_training_s") is not None else None)
            for setup in args.setups:
                log(f"{setup}: every conversation twice, untimed (warm-up) …")
                warm(rest_url(running, setup), BARE if setup == "bare" else OURS)
            loads: List[Load] = []
            for level in args.levels:
                for setup in args.setups:  # alternating: drift in the machine's load is shared
                    scripts = BARE if setup == "bare" else OURS
                    log(f"{setup}: {level} concurrent conversations for {seconds:.0f} s …")
                    load = measure(setup, rest_url(running, setup), scripts, level, seconds,
                                   warmup)
                    log(f"  {load.turns} turns, {load.throughput}/s, p50 {load.p50_ms} ms, "
                        f"p95 {load.p95_ms} ms, p99 {load.p99_ms} ms, {load.errors} errors")
                    loads.append(load)
            report["memory"] = {name: memory_mb(pid) for name, pid in processes(running).items()}
            report.update(profile_turns(running, work, profile_turns_n, log))
        report["loads"] = [asdict(load) for load in loads]
        report["ratios"] = [row for setup in ("ours", "scaled") for row in ratios(loads, setup)]
    report["machine"]["load_average_after"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False),
                                    encoding="utf-8")
    text = markdown(report)
    (out / "bench.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"Written: {out / 'bench.md'}, {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
