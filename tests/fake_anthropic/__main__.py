"""`python -m tests.fake_anthropic --port 8765 [--delay 0.05]`: serve the fake API by hand.

Every conversation gets the echo agent (a valid answer for the requested schema), so a
real `swath run` pointed at it with ANTHROPIC_BASE_URL=http://127.0.0.1:8765 and any
ANTHROPIC_API_KEY goes through the whole model path.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.fake_anthropic.server import FakeAnthropicServer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_anthropic", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--batch-delay", type=float, default=0.0, help="seconds per batch request")
    parser.add_argument("--min-cache-tokens", type=int, default=0)
    args = parser.parse_args()
    server = FakeAnthropicServer(
        host=args.host,
        port=args.port,
        delay_s=args.delay,
        batch_delay_s=args.batch_delay,
        min_cache_tokens=args.min_cache_tokens,
    )

    async def serve() -> None:
        await server.start_async()
        print(f"fake Anthropic API on {server.url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop_async()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
