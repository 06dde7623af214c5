"""``python -m bench.fake_upstream``: the fake image provider of the tests, for load tests.

It is ``testkit.fake_provider`` scripted so that every integer ID exists (ID modulo the
number of images): rendered plate crops, or with ``--photos N`` N generated 12 MP
photos, each answered after the configured latency (one ID may be given its own,
``--slow-id``); ``GET /hits`` is the number of image requests so far. It answers from
prebuilt response bytes, so it takes almost no CPU from the service measured beside it.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace

from bench.images import large_photo, provider_crops
from testkit.fake_provider import Answer, FakeProvider


async def serve(host: str, port: int, latency_ms: float, photos: int = 0,
                slow: tuple[int, float] | None = None) -> None:
    """Serve until cancelled; ``slow`` is (image ID, its latency in ms)."""
    images = [large_photo(seed) for seed in range(photos)] if photos else provider_crops()
    answers = [Answer(data, delay_s=latency_ms / 1000) for data in images]
    provider = FakeProvider(lambda image_id: answers[image_id % len(answers)],
                            host=host, port=port)
    if slow is not None:
        provider.script(slow[0], replace(answers[slow[0] % len(answers)],
                                         delay_s=slow[1] / 1000))
    async with provider:
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_upstream",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--photos", type=int, default=0,
                        help="serve this many generated 12 MP photos instead of plate crops")
    parser.add_argument("--slow-id", type=int, help="an image ID answered after --slow-ms")
    parser.add_argument("--slow-ms", type=float, default=10_000.0)
    args = parser.parse_args(argv)
    slow = (args.slow_id, args.slow_ms) if args.slow_id is not None else None
    try:
        asyncio.run(serve(args.host, args.port, args.latency_ms, args.photos, slow))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
