"""The deliberately naive plate service the benchmark compares against.

What many first versions look like: a synchronous single-threaded HTTP server, a blocking
download, inference on the request thread, one request at a time. Same models, same
upstream, same answers; only the serving architecture differs.
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from plate_service.config import LimitsConfig
from plate_service.recognition.image import decode_image
from plate_service.service import image_limits
from plate_service.recognition.loading import load_recognizer

LIMITS = image_limits(LimitsConfig())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    args = parser.parse_args()
    recognizer = load_recognizer(args.models_dir, threads=1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/health":
                self._answer(200, {"status": "ok"})
                return
            image_id = int(self.path.rsplit("/", 1)[-1])
            with urllib.request.urlopen(f"{args.provider}/images/{image_id}",
                                        timeout=10) as response:
                data = response.read()
            result = recognizer.recognize(decode_image(data, LIMITS))
            best = result.best
            self._answer(200, {"image_id": image_id,
                               "plate": best.reading.text if best else None})

        def _answer(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(HTTPServer):
        # A deep accept queue: clients wait their turn instead of timing out on connect,
        # so the comparison measures serving, not SYN retransmission back-off.
        request_queue_size = 256

    Server(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
