"""GraphQL over WebSocket at ``/graphql``: strawberry's ASGI view, ``graphql-transport-ws`` only.

Where strawberry's defaults are weak for a city's mobile clients, the hub adds:

* **server pings** -- a ``ping`` every ``HUB_WS_PING_SECONDS``; no ``pong`` within
  ``HUB_WS_PONG_TIMEOUT_SECONDS`` closes the socket (4408), so dead sockets do not pile up and
  a client behind a NAT that drops silent connections keeps its socket warm;
* **authentication in ``connection_init``** -- ``connectionParams: {authorization: "Bearer
  <JWT>"}`` (or the handshake's ``Authorization`` header); a bad token closes with 4403, an
  identity provider that cannot be reached with 1013 (try again later);
* **caps** -- ``connection_init`` within ``HUB_WS_INIT_TIMEOUT_SECONDS`` (else 4408), at most
  ``HUB_WS_MAX_SUBSCRIPTIONS`` operations per socket, at most ``HUB_WS_MAX_SOCKETS_PER_TOKEN``
  sockets per token (per client address without one; 4429 beyond); each ``subscribe`` spends
  a request of the caller's rate-limit bucket, the one HTTP requests spend (``RATE_LIMITED``);
* **subscriptions only** -- queries and mutations go over HTTP, where the body limits, rate limits
  and timeouts live; each subscription gets a context of its own;
* compact UTF-8 JSON (the data is mostly Chinese), a result shared by many subscribers encoded
  once -- and framed once per operation id, for sockets served by ``hub.events.frames``;
* an ``Outlet`` per operation, through which the event streams write live events to the socket
  directly (``schema.live.sender.LiveSender``), checking first that the operation is still on;
* **no task while idle** -- a subscription runs as strawberry runs it (parsing, limits, the
  resolver's checks, its replay), and once caught up its stream ends there: strawberry's and
  graphql-core's generators, its extensions and its task go, no ``complete`` is sent, and its
  stream subscriber is left asleep with the outlet.  What the direct path cannot do (an event
  with errors to report, a full socket, falling behind) wakes it: a task runs the operation
  through strawberry again, whose resolver takes the subscriber back (none of subscribing's
  checks again) and sends what it has queued, in order, until it is caught up again.

Browsers on other agencies' origins may connect: the token travels in ``connectionParams``,
never in a cookie, so a foreign page cannot borrow anyone's identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from json import JSONDecodeError
from typing import Any, NamedTuple, cast

from graphql import GraphQLFormattedError
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    PingMessage,
    PongMessage,
)
from strawberry.types.unset import UNSET, UnsetType

from hub.auth.tokens import InvalidTokenError, SigningKeysUnavailableError, authenticate_async
from hub.config import Settings
from hub.events.delivery import Subscriber
from hub.events.frames import EXTENSION, Frames, text_frame
from hub.events.stream import Stream
from hub.http.inputs import inspect_json, inspect_text
from hub.http.ratelimit import PERIOD_SECONDS, RateLimiter, bucket_key, rate_limited_error
from hub.observability import metrics
from schema.live.admission import SocketCounter, SubscriptionsOnly, well_formed
from schema.live.context import LiveContext
from schema.live.sender import OUTLET

__all__ = ["GraphQLWebSocket"]

PONG_TIMEOUT = 4408
PING: PingMessage = {"type": "ping"}
PING_FRAME = text_frame('{"type":"ping"}')
TOO_MANY_SOCKETS = 4429
TRY_AGAIN_LATER = 1013
_CLOSED = object()  # no more messages: the socket is closed
RECENT_RESULTS = 256  # encoded results kept: one per event and kind of subscriber, recently
SUBSCRIBES_AT_ONCE = 16  # per process: operations between their subscribe and caught up
FRAMES_PER_RESULT = 8  # framed messages kept per result: most clients number operations 1, 2...


class _Refusal(Exception):  # noqa: N818 -- an outcome, not a bug
    """Close the socket during ``connection_init`` with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class _Handler(BaseGraphQLTransportWSHandler[LiveContext, None]):
    """strawberry's protocol handler, with server pings and custom closing refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = cast("BaseSchema", cast("GraphQLWebSocket", self.view).subscriptions_only)
        socket = self._socket = cast("ASGIWebSocketAdapter", self.websocket).ws
        extensions = socket.scope.get("extensions") or {}
        self.frames: Frames | None = extensions.get(EXTENSION)
        # Keep-alive by timers, not a task per socket: an idle socket holds two handles.
        self._timer: asyncio.TimerHandle | None = None
        self._awaiting_pong = False
        self._pinging: asyncio.Task[None] | None = None  # a ping waiting for a full socket
        self._outlets: dict[str, _Outlet] = {}  # per operation id, while it runs or sleeps

    @property
    def settings(self) -> Settings:
        return cast("GraphQLWebSocket", self.view).settings

    async def handle(self) -> None:
        """strawberry's loop, reading without an async generator and holding no message while
        it waits for the next (an idle socket's last message is its subscribe, query and all)."""
        self.on_request_accepted()
        try:
            try:
                while (message := await self._receive()) is not _CLOSED:
                    await self.handle_message(cast("Message", message))
                    del message
            except NonTextMessageReceived:
                await self.handle_invalid_message("WebSocket message type must be text")
            except NonJsonMessageReceived:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
        except WebSocketDisconnected:
            pass
        finally:
            await self.shutdown()

    async def _receive(self) -> object:
        """The next message, decoded; ``_CLOSED`` once the socket is (``iter_json``'s rules)."""
        socket = self._socket
        if socket.application_state == WebSocketState.DISCONNECTED:
            return _CLOSED
        try:
            text = await socket.receive_text()
        except KeyError as error:  # a binary message
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            return _CLOSED
        try:
            return self.view.decode_json(text)
        except JSONDecodeError as error:
            raise NonJsonMessageReceived from error

    async def handle_message(self, message: Message) -> None:
        """Refuse malformed frames with 4400; strawberry assumes a well-shaped object."""
        if not well_formed(message):
            await self.handle_invalid_message("Failed to parse message")
            return
        if message["type"] == "subscribe" and (
            len(message["payload"]["query"]) > self.settings.max_query_length
        ):
            # The HTTP endpoint's length limit, here too: a huge document would stall the loop.
            await self.handle_invalid_message("The query is too large")
            return
        if message["type"] == "subscribe":
            payload = message["payload"]
            problem = (
                inspect_text(payload["query"])
                or inspect_json(payload.get("variables"))
                or inspect_json(payload.get("extensions"))
            )
            error: GraphQLFormattedError | None = None
            if problem is not None:
                # The walk the HTTP endpoint does: nesting, NUL and lone surrogates refused
                # before graphql-core or the database recurse into the values.
                error = {"message": problem.message, "extensions": {"code": problem.code}}
            elif self.connection_acknowledged:
                error = await cast("GraphQLWebSocket", self.view).admit(
                    self.context, payload["query"]
                )
            if error is not None:
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=[error])
                )
                return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except _Refusal as refusal:
            await self.websocket.close(code=refusal.code, reason=refusal.reason)
            return
        finally:
            # Initialised (or refused): the timeout task, cancelled, is of no further use.
            self.connection_init_timeout_task = None
        if self.connection_acknowledged and self._timer is None:
            self._later(self.settings.ws_ping_seconds, self._ping)

    async def handle_pong(self, message: PongMessage) -> None:
        if self._awaiting_pong:
            self._awaiting_pong = False
            self._later(self.settings.ws_ping_seconds, self._ping)

    async def run_operation(self, operation: Operation[LiveContext, None]) -> None:
        # Subscribing, a few operations at a time per process (``SUBSCRIBES_AT_ONCE``).
        subscribing = cast("GraphQLWebSocket", self.view).subscribing
        await subscribing.acquire()  # cancelled while waiting: nothing made yet
        outlet = self._outlets[operation.id] = _Outlet(self, operation, subscribing.release)
        operation.query = sys.intern(operation.query)  # kept while asleep: one copy per text
        metrics.SUBSCRIPTIONS.inc()
        await self._run(outlet)

    async def send_message(self, message: Message) -> None:
        # An operation's first message ends its subscribing: before, not after, a send that
        # may wait for a slow client.
        operation_id = message.get("id")
        if isinstance(operation_id, str) and (outlet := self._outlets.get(operation_id)):
            outlet.subscribed()
        await super().send_message(message)

    async def _run(self, outlet: _Outlet) -> None:
        """strawberry's operation, run until it ends -- or, caught up, until its subscriber is
        left asleep (``_Outlet.leave``): then the task ends, and ``_Outlet.wake`` starts
        another when the direct path cannot serve it."""
        operation = outlet.operation
        OUTLET.set(outlet)  # this operation's tasks only
        asleep = False
        try:
            while True:
                try:
                    await super().run_operation(operation)
                    return
                except _Asleep:
                    pass
                subscriber = outlet.subscriber
                if subscriber is None or not outlet.open():
                    return
                if subscriber.sleep(outlet.wake):
                    asleep = True
                    operation.task = None  # it holds nothing: the finished task goes too
                    return
                # Events came while it was leaving: carry on with them at once.
        finally:
            outlet.subscribed()
            if not asleep:
                self._close(outlet)

    async def _send_result_stream(
        self, operation: Operation[LiveContext, None], result_source: Any
    ) -> None:
        await super()._send_result_stream(operation, result_source)
        outlet = self._outlets.get(operation.id)
        if outlet is not None and outlet.subscriber is not None and outlet.open():
            raise _Asleep  # the stream ended by leaving its subscriber: no ``complete``

    def _wake(self, outlet: _Outlet) -> None:
        operation = outlet.operation
        if not outlet.open():
            self._close(outlet)
            return
        task = operation.task = asyncio.create_task(self._run(outlet))
        task.add_done_callback(self._task_done)

    def _close(self, outlet: _Outlet) -> None:
        """The operation is over: its subscriber (if asleep) unregistered, once."""
        if self._outlets.get(outlet.operation.id) is outlet:
            del self._outlets[outlet.operation.id]
        if outlet.release():
            metrics.SUBSCRIPTIONS.dec()

    async def cleanup_operation(self, operation_id: str) -> None:
        operation = self.operations.get(operation_id)
        if operation is None:
            return
        outlet = self._outlets.get(operation_id)
        if operation.task is None:  # asleep: no task to cancel
            del self.operations[operation_id]
        else:
            await super().cleanup_operation(operation_id)
        if outlet is not None and outlet.subscriber is not None:
            self._close(outlet)  # asleep, or its new task not started: it will not

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, callback)

    def _ping(self) -> None:
        self._awaiting_pong = True
        if self.frames is not None and self.frames.write(PING_FRAME):
            self._later(self.settings.ws_pong_timeout_seconds, self._no_pong)
        else:  # a full socket: the pong is awaited once the ping is out
            self._timer = None
            self._pinging = asyncio.ensure_future(self._send_ping())

    async def _send_ping(self) -> None:
        with contextlib.suppress(WebSocketDisconnected, RuntimeError, OSError):
            await self.send_message(PING)
            self._later(self.settings.ws_pong_timeout_seconds, self._no_pong)

    def _no_pong(self) -> None:
        self._timer = None
        self._pinging = asyncio.ensure_future(self._close_for_no_pong())

    async def _close_for_no_pong(self) -> None:
        with contextlib.suppress(WebSocketDisconnected, RuntimeError, OSError):
            await self.websocket.close(code=PONG_TIMEOUT, reason="No pong")

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pinging is not None:
            self._pinging.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinging
        await super().shutdown()


class _Asleep(BaseException):  # past strawberry's ``except Exception``: not an error
    """The operation's stream ended leaving its subscriber asleep: not complete."""


class _Outlet:
    """An operation's way out for live events sent without its task (``schema.live.sender``),
    and the subscriber it leaves asleep while caught up."""

    __slots__ = ("_admitted", "_handler", "_released", "operation", "stream", "subscriber")

    def __init__(
        self,
        handler: _Handler,
        operation: Operation[LiveContext, None],
        admitted: Callable[[], None] | None = None,
    ) -> None:
        self._handler = handler
        self.operation = operation
        self.stream: Stream[Any, Any] | None = None
        self.subscriber: Subscriber[Any, Any] | None = None
        self._released = False
        self._admitted = admitted  # gives its place back among those subscribing

    def subscribed(self) -> None:
        """Subscribing is over (caught up, a first message sent, or the end): once."""
        admitted, self._admitted = self._admitted, None
        if admitted is not None:
            admitted()

    @property
    def context(self) -> LiveContext:
        return self._handler.context

    def open(self) -> bool:
        operation = self.operation
        return not operation.completed and self._handler.operations.get(operation.id) is operation

    def write(self, data: object) -> bool:
        frames = self._handler.frames
        if frames is None or not self.open():
            return False
        view = cast("GraphQLWebSocket", self._handler.view)
        # Counted by the stream, once per fan-out (``hub_events_delivered``).
        return frames.write(view.frame(self.operation.id, data))

    def leave(self, stream: Stream[Any, Any], subscriber: Subscriber[Any, Any]) -> None:
        self.subscribed()
        self.stream = stream
        self.subscriber = subscriber

    def take(self) -> tuple[Stream[Any, Any], Subscriber[Any, Any]] | None:
        stream, subscriber = self.stream, self.subscriber
        self.stream = self.subscriber = None
        return (stream, subscriber) if stream is not None and subscriber is not None else None

    def wake(self) -> None:
        self._handler._wake(self)

    def release(self) -> bool:
        """Unregister the subscriber it holds (asleep); True the first time."""
        stream, subscriber = self.stream, self.subscriber
        self.stream = self.subscriber = None
        if stream is not None and subscriber is not None:
            subscriber.resume = None
            subscriber.direct = None
            stream.unregister(subscriber)
        first = not self._released
        self._released = True
        return first


class GraphQLWebSocket(GraphQL[LiveContext, None]):
    """The ``/graphql`` WebSocket route (mount it on a ``WebSocketRoute``)."""

    graphql_transport_ws_handler_class = _Handler

    def __init__(
        self,
        schema: BaseSchema,
        *,
        settings: Settings,
        new_context: Callable[[], LiveContext],
        limiter: RateLimiter | None = None,
        on_rate_limited: Callable[[LiveContext, str, str], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            allowed_origins=("*",),
        )
        self.settings = settings
        self.subscriptions_only = SubscriptionsOnly(schema)  # what every socket runs
        self.new_context = new_context
        self.sockets = SocketCounter(settings.ws_max_sockets_per_token)
        self.limiter = limiter  # a subscribe is a request: the caller's HTTP bucket counts it
        self.on_rate_limited = on_rate_limited  # told of each refusal, its query and bucket
        # Operations subscribing at once (parsing, checks, replay): the others wait before
        # making anything.  Thousands subscribing together would otherwise all hold their
        # passing objects at the same time, interleaved with the sockets' lasting ones in
        # the allocator's pools, which then stay partly empty for the process's life.
        self.subscribing = asyncio.Semaphore(SUBSCRIBES_AT_ONCE)
        self._recent: OrderedDict[int, _Encoded] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError("GraphQLWebSocket serves WebSocket connections only")
        websocket = WebSocket(scope, receive=receive, send=send)
        context = self.new_context()
        context.handshake_authorization = websocket.headers.get("authorization")
        context.client_address = _client_address(scope)
        metrics.SOCKETS.inc()
        try:
            await self.run(websocket, context=context)
        finally:
            metrics.SOCKETS.dec()
            if context.socket_key is not None:
                self.sockets.release(context.socket_key)

    async def on_ws_connect(self, context: LiveContext) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("authorization", params.get("Authorization"))
        if header is None:
            header = context.handshake_authorization
        # Read once, here: the socket does not keep the token (or what else came) for hours.
        context.connection_params = context.handshake_authorization = None
        if not isinstance(header, str | None):
            raise ConnectionRejectionError()
        try:
            authentication = await authenticate_async(self.settings, header)
        except SigningKeysUnavailableError as error:
            raise _Refusal(TRY_AGAIN_LATER, "Signing keys unavailable") from error
        except InvalidTokenError as error:
            raise ConnectionRejectionError() from error
        # Its sockets are counted, and its subscribes limited, in its rate-limit bucket.
        key = bucket_key(authentication.token_id, context.client_address)
        if not self.sockets.acquire(key):
            raise _Refusal(TOO_MANY_SOCKETS, "Too many sockets for this token")
        context.socket_key = key
        context.actor = authentication.actor
        return cast("UnsetType", UNSET)  # acknowledge without a payload

    async def admit(self, context: LiveContext, query: str) -> GraphQLFormattedError | None:
        """A ``subscribe`` counts against its caller's rate limit as a request over HTTP does,
        in the same bucket: a socket is no way around the limit, and a flood of refused
        attempts over one is not a flood of audit rows.  The error to send, if refused."""
        if self.limiter is None or context.socket_key is None:
            return None
        key = context.socket_key  # ``bucket_key``: the token's, else the client address's
        limit = (
            self.settings.rate_limit_per_minute
            if key.startswith("token:")
            else self.settings.rate_limit_anonymous_per_minute
        )
        if limit <= 0:
            return None
        decision = await self.limiter.hit(key, limit, PERIOD_SECONDS)
        if decision.allowed:
            return None
        if self.on_rate_limited is not None:
            await self.on_rate_limited(context, query, key)
        return cast("GraphQLFormattedError", rate_limited_error(decision, PERIOD_SECONDS))

    def encode_json(self, data: object) -> str:
        """Compact UTF-8 JSON; a result shared by many subscribers is encoded once."""
        if isinstance(data, dict) and data.get("type") == "next" and len(data) == 3:
            payload = data["payload"]
            if isinstance(payload, dict) and payload.keys() == {"data"}:
                return _next(data["id"], self._encoded(payload["data"]).body)
        return _json(data)

    def frame(self, operation_id: str, data: object) -> bytes:
        """The WebSocket frame of operation ``operation_id``'s ``next`` carrying ``data``."""
        encoded = self._encoded(data)
        frame = encoded.frames.get(operation_id)
        if frame is None:
            frame = text_frame(_next(operation_id, encoded.body))
            if len(encoded.frames) < FRAMES_PER_RESULT:
                encoded.frames[operation_id] = frame
        return frame

    def _encoded(self, result: object) -> _Encoded:
        # Keyed by identity, holding the result itself so that its id cannot be reused.
        found = self._recent.get(id(result))
        if found is None or found.result is not result:
            found = self._recent[id(result)] = _Encoded(result, _json(result), {})
            if len(self._recent) > RECENT_RESULTS:
                self._recent.popitem(last=False)
        return found


class _Encoded(NamedTuple):
    result: object
    body: str  # its JSON
    frames: dict[str, bytes]  # operation id: the framed next message


def _next(operation_id: object, body: str) -> str:
    return f'{{"id":{_json(operation_id)},"type":"next","payload":{{"data":{body}}}}}'


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _client_address(scope: Mapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
