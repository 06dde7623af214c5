"""The one fake image provider of the tests and the benchmarks: scripted HTTP/1.1 on loopback.

A raw ``asyncio.Protocol``, not an aiohttp app, for two reasons. During a benchmark it
shares the machine's cores with the service being measured, so it answers from prebuilt
response bytes in a few microseconds of CPU (an aiohttp app costs about 0.14 ms an
image). And it must misbehave in ways aiohttp never writes: bodies cut off, a
Content-Length that lies, bytes that drip, resets, answers that never come.

It speaks just enough HTTP/1.1 for the service's client: keep-alive, requests answered
in order per connection, ``GET /images/{id}`` as scripted, ``GET /hits`` the number of
image requests so far, every other path 404. ``script(id, *answers)`` gives an image ID
its :class:`Answer` s, played one per request, the last one repeating; an ID without a
script gets ``default`` (one answer for all, or a function of the ID). It runs on the
event loop that starts it: a test's loop, or a loop in a background thread.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from http import HTTPStatus
from types import TracebackType
from typing import Any

_IMAGE_REQUEST = re.compile(rb"GET /images/(\d+) HTTP/1\.[01]")
_HITS_REQUEST = re.compile(rb"GET /hits HTTP/1\.[01]")
_MAX_HEAD = 64 * 1024


class Fault(Enum):
    """Ways to break the connection instead of answering."""

    HANG = "hang"  # read the request, then never answer
    CLOSE = "close"  # close without a byte of answer
    RESET = "reset"  # abort the connection with a TCP RST
    RAW = "raw"  # send the body as it is, no HTTP head, then close


@dataclass(frozen=True)
class Answer:
    """What the provider does with one request for an image, after ``delay_s``.

    Well-formed HTTP unless told otherwise: ``declared_length`` is a Content-Length that
    lies (the body sent is ``body``, then the connection closes), ``drip_s`` sends the
    body one byte per ``drip_s``, ``fault`` breaks the connection instead. ``repeat``
    sends the body that many times over, never held whole (a huge body from a small one).
    Answers that cut a body short, stream or fault close the connection after them.
    """

    body: bytes = b""
    status: int = 200
    content_type: str | None = "image/jpeg"
    delay_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    chunked: bool = False
    repeat: int = 1
    declared_length: int | None = None
    drip_s: float = 0.0
    fault: Fault | None = None

    @property
    def streamed(self) -> bool:
        """Written piece by piece as the client reads, not as one prebuilt block."""
        return self.fault is None and (self.drip_s > 0 or self.repeat > 1)

    @property
    def ends_connection(self) -> bool:
        return (self.fault is not None or self.declared_length is not None
                or self.streamed)

    def head(self) -> bytes:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Scripted"
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        if self.content_type is not None:
            lines.append(f"Content-Type: {self.content_type}")
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            length = self.declared_length
            if length is None:
                length = len(self.body) * self.repeat
            lines.append(f"Content-Length: {length}")
        if self.ends_connection:
            lines.append("Connection: close")
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def pieces(self) -> Iterator[bytes]:
        """The body as it goes on the wire, in the pieces it is written in."""
        body = self.body
        parts = (body[i:i + 1] for i in range(len(body))) if self.drip_s else (
            body for _ in range(self.repeat))
        for part in parts:
            if not self.chunked:
                yield part
            elif part:  # an empty chunk would end the body
                yield b"%x\r\n%s\r\n" % (len(part), part)
        if self.chunked:
            yield b"0\r\n\r\n"

    @cached_property
    def wire(self) -> bytes:
        """Everything written for an answer that is not streamed, built once."""
        if self.fault is Fault.RAW:
            return self.body
        if self.fault is not None:
            return b""
        return self.head() + b"".join(self.pieces())


NOT_FOUND = Answer(b"<html>Not Found</html>", status=404, content_type="text/html")


def serving(images: Mapping[int, bytes], delay_s: float = 0.0) -> Callable[[int], Answer]:
    """A default answer that serves ``images`` by ID (JPEG) after ``delay_s``, 404 else."""
    answers = {image_id: Answer(data, delay_s=delay_s) for image_id, data in images.items()}
    return lambda image_id: answers.get(image_id, NOT_FOUND)


class FakeProvider:
    """The image provider on ``url`` while started; ``hits`` and ``sent`` count per ID.

    ``hits[id]`` is the number of requests for an image, ``sent[id]`` the bytes written
    in answer to them, so a test can tell how much a client read before it hung up.
    """

    def __init__(self, default: Answer | Callable[[int], Answer] = NOT_FOUND, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.default: Callable[[int], Answer] = (
            (lambda image_id: default) if isinstance(default, Answer) else default)
        self.scripts: dict[int, list[Answer]] = {}
        self.hits: Counter[int] = Counter()
        self.sent: Counter[int] = Counter()
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def script(self, image_id: int, *answers: Answer) -> None:
        """Answer ``image_id`` with ``answers``, one per request, the last one repeating."""
        if not answers:
            raise ValueError("a script needs at least one answer")
        self.scripts[image_id] = list(answers)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.host,
                                                self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop every connection, answers still playing included."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for connection in list(self._connections):
            connection.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> FakeProvider:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.stop()

    def answer(self, request_head: bytes) -> tuple[Answer, int | None]:
        """The answer to one request and the image ID it asked for, counted as a hit."""
        match = _IMAGE_REQUEST.match(request_head)
        if match is None:
            if _HITS_REQUEST.match(request_head):
                return Answer(str(self.hits.total()).encode(), content_type="text/plain"), None
            return NOT_FOUND, None
        image_id = int(match.group(1))
        self.hits[image_id] += 1
        script = self.scripts.get(image_id)
        if script is None:
            return self.default(image_id), image_id
        return (script.pop(0) if len(script) > 1 else script[0]), image_id

    def _run(self, play: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(play)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class _Connection(asyncio.Protocol):
    """One client connection: split requests on the blank line, answer each in order."""

    def __init__(self, provider: FakeProvider) -> None:
        self._provider = provider
        self._buffer = b""
        self._queue: deque[tuple[float, Answer, int | None, bool]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None
        self._answering = True  # False once an answer owns or ended the connection
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._provider._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None
        self.resume_writing()
        self._provider._connections.discard(self)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        if not self._answering:
            return
        self._buffer += data
        now = asyncio.get_running_loop().time()
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
            answer, image_id = self._provider.answer(head)
            close = b"connection: close" in head.lower()
            self._queue.append((now + answer.delay_s, answer, image_id, close))
        if len(self._buffer) > _MAX_HEAD:
            self.abort()
        self._flush()

    def _flush(self) -> None:
        """Send every answer that is due, in request order; wait for the next one."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        while self._queue and self._transport is not None and self._answering:
            due, answer, image_id, close = self._queue[0]
            if due > loop.time():
                self._timer = loop.call_at(due, self._flush)
                return
            self._queue.popleft()
            if answer.streamed:
                self._answering = False
                self._provider._run(self._stream(answer, image_id))
                return
            self._write(answer.wire, image_id)
            if answer.fault is Fault.RESET:
                linger = struct.pack("ii", 1, 0)  # close at once with a RST, no FIN
                self._transport.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self._transport.abort()
            elif answer.fault is not Fault.HANG and (close or answer.ends_connection):
                self._transport.close()
            self._answering = not (close or answer.ends_connection)

    def _write(self, data: bytes, image_id: int | None) -> None:
        assert self._transport is not None
        self._transport.write(data)
        if image_id is not None:
            self._provider.sent[image_id] += len(data)

    async def _stream(self, answer: Answer, image_id: int | None) -> None:
        try:
            await self._send(answer.head(), image_id)
            for piece in answer.pieces():
                await self._send(piece, image_id)
                if answer.drip_s:
                    await asyncio.sleep(answer.drip_s)
        except ConnectionError:
            pass  # the client hung up first: exactly what several tests provoke
        finally:
            if self._transport is not None:
                self._transport.close()

    async def _send(self, data: bytes, image_id: int | None) -> None:
        """Write ``data`` once the client has read enough of what came before."""
        if self._writable is not None:
            await self._writable
        if self._transport is None or self._transport.is_closing():
            raise ConnectionResetError("the client hung up")
        self._write(data, image_id)
