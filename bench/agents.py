"""1,000 model tasks against the fake Messages API answering in 50 ms, at concurrency 16.

Drives `AnthropicRunner` directly (the real SDK, real HTTP on 127.0.0.1) through an
`AdaptiveLimiter`, the way the engine gates agent starts. The fake server runs in its own
process (`python -m tests.fake_anthropic`) so it does not share the GIL with the client.

Run 1 prints wall time over the ideal (1000 / 16 × 50 ms = 3.125 s; target ≤ 1.15) and
requests per second. Run 2 queues a burst of 429s (retry-after 0.2 s) once a fifth of the
tasks are done and shows that every result still arrived, how many retries it took, and
how the concurrency limit moved.

    python bench/agents.py [--tasks 1000] [--concurrency 16] [--delay 0.05] [--burst 120] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from swath.agents.base import AgentEnv, ModelResult, ModelTask  # noqa: E402
from swath.agents.config import ModelConfig  # noqa: E402
from swath.agents.limiter import AdaptiveLimiter  # noqa: E402
from swath.agents.llm import AnthropicRunner  # noqa: E402
from swath.findings.report import Usage  # noqa: E402
from swath.spec.models import AgentSpec  # noqa: E402
from swath.spec.records import Item  # noqa: E402
from swath.workspace import Workspace  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url + path, data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def tasks(n: int) -> list[ModelTask]:
    agent = AgentSpec.model_validate(
        {
            "instructions": "Review {{ item.path }} and report problems with evidence.",
            "output": "findings",
            "max_tokens": 1024,
        }
    )
    return [
        ModelTask(
            run_id="bench",
            step_id="review",
            task_key=f"src/mod{i:04d}.py",
            tier="map",
            agent=agent,
            items=[Item(id=f"src/mod{i:04d}.py", kind="file", path=f"src/mod{i:04d}.py")],
            facts={"functions": [f"f{i}"], "lines": 40},
        )
        for i in range(n)
    ]


async def one_run(
    url: str,
    workspace: Workspace,
    n: int,
    concurrency: int,
    *,
    burst: int = 0,
    retry_after: float = 0.2,
) -> dict[str, Any]:
    config = ModelConfig(base_url=url, max_retries=10, timeout_s=30)
    runner = AnthropicRunner.create(config, api_key="bench")
    limiter = AdaptiveLimiter(concurrency, quiet_period_s=0.5, decrease_cooldown_s=0.2)
    usage = Usage()
    env = AgentEnv(workspace=workspace, on_pushback=limiter.on_pushback)
    done = 0
    burst_at = n // 5 if burst else -1
    failures: list[str] = []
    results: dict[str, ModelResult] = {}

    async def one(task: ModelTask) -> None:
        nonlocal done, usage
        async with limiter:
            try:
                result = await runner.run(task, env)
            except Exception as exc:  # every failure is reported, none is fatal to the bench
                failures.append(f"{task.task_key}: {exc}")
                return
        results[task.task_key] = result
        usage = usage + result.usage
        done += 1
        if done == burst_at:
            await asyncio.to_thread(
                control,
                url,
                "/_fake/inject",
                {"count": burst, "status": 429, "retry_after": retry_after},
            )

    work = tasks(n)
    # Warm the connection pool and the prompt cache outside the timed part, as a long run would be.
    await runner.run(work[0].model_copy(update={"task_key": "warm"}), env)
    started = time.perf_counter()
    cpu_started = time.process_time()
    await asyncio.gather(*(one(t) for t in work))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    stats = runner.stats
    await runner.aclose()
    return {
        "wall": wall,
        "cpu": cpu,
        "results": len(results),
        "failures": failures,
        "retries": stats.retries,
        "pushbacks": stats.pushbacks,
        "attempts": stats.attempts,
        "limit_min": limiter.min_seen,
        "limit_max": limiter.max_seen,
        "limit_end": limiter.limit,
        "usage": usage,
    }


async def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument(
        "--delay", type=float, default=0.05, help="seconds the fake API takes per reply"
    )
    ap.add_argument("--burst", type=int, default=120, help="429s queued in run 2")
    ap.add_argument("--retry-after", type=float, default=0.2)
    ap.add_argument(
        "--repeat", type=int, default=3, help="run 1 is repeated; the best and the median are shown"
    )
    ap.add_argument(
        "--quick", action="store_true", help="100 tasks, once, burst 20: checks it still runs"
    )
    args = ap.parse_args()
    if args.quick:
        args.tasks, args.repeat, args.burst = min(args.tasks, 100), 1, min(args.burst, 20)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_anthropic",
            "--port",
            str(port),
            "--delay",
            str(args.delay),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "fake Anthropic API on ..."
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Workspace(tmp)
            ideal = args.tasks / args.concurrency * args.delay

            runs = []
            for _ in range(max(1, args.repeat)):
                control(url, "/_fake/reset", {})
                runs.append(await one_run(url, workspace, args.tasks, args.concurrency))
            walls = sorted(r["wall"] for r in runs)
            r1 = min(runs, key=lambda r: r["wall"])
            ratio = r1["wall"] / ideal
            print(
                f"run 1: {args.tasks} model tasks, concurrency {args.concurrency}, fake API {args.delay * 1000:.0f} ms"
            )
            print(
                f"  wall {r1['wall']:.3f} s (best of {len(runs)}; median {statistics.median(walls):.3f} s), "
                f"ideal {ideal:.3f} s, wall/ideal {ratio:.3f} (target <= 1.15; median {statistics.median(walls) / ideal:.3f})"
            )
            print(
                f"  client CPU {r1['cpu']:.2f} s for {r1['attempts']} requests ({r1['cpu'] / r1['attempts'] * 1000:.2f} ms each)"
            )
            print(
                f"  {r1['attempts'] / r1['wall']:.0f} requests/s, {r1['results']} results, {len(r1['failures'])} failures"
            )
            u = r1["usage"]
            print(
                f"  usage: {u.input_tokens} in, {u.output_tokens} out, {u.cache_read_tokens} cache read, "
                f"{u.cache_write_tokens} cache write, ${u.cost_usd:.4f}"
            )

            control(url, "/_fake/reset", {})
            r2 = await one_run(
                url,
                workspace,
                args.tasks,
                args.concurrency,
                burst=args.burst,
                retry_after=args.retry_after,
            )
            print(
                f"run 2: the same, with a burst of {args.burst} x 429 (retry-after {args.retry_after} s) after {args.tasks // 5} results"
            )
            print(
                f"  {r2['results']}/{args.tasks} results arrived, {len(r2['failures'])} failures; "
                f"{r2['retries']} retries for {r2['pushbacks']} pushbacks"
            )
            print(
                f"  concurrency limit: min {r2['limit_min']}, max {r2['limit_max']}, at the end {r2['limit_end']}; "
                f"wall {r2['wall']:.3f} s ({r2['wall'] / ideal:.2f} x ideal)"
            )
            ok = (
                (ratio <= 1.15 or args.quick)  # a quick run's timing means little
                and r2["results"] == args.tasks
                and not r1["failures"]
                and not r2["failures"]
            )
            return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    sys.exit(asyncio.run(main()))
