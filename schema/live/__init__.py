"""Subscriptions live: a socket's context, shared execution of events, direct sending.

Each operation on a socket runs with a context of its own (``LiveContext.for_operation``), and
each delivered event is resolved with DataLoaders shared by every subscriber receiving that
event in this process -- a socket lives for hours, so the loaders of a request would serve stale
rows, and 10,000 subscribers must not ask the database 10,000 times for the same case.

Going further, subscribers asking the same thing see the same answer: an event's selection is
executed once per operation text, variables and viewer -- the actor's role, jurisdiction and
department, which is all any resolver looks at -- and the result is shared
(``SharedEventExecution``).  A fan-out to 10,000 operators of one district platform costs one
execution and 10,000 sends, not 10,000 executions.

And a subscriber waiting for its next event is not woken for it: the stream's task writes the
shared result to its socket (``LiveSender``, through the ``Outlet`` the WebSocket layer gives
each operation), so those 10,000 sends are 10,000 socket writes from one task, not 10,000
task wake-ups each running strawberry's result pipeline.  Only what that cannot do -- an event
whose execution has errors to report, a socket that is full -- goes the ordinary way.  So a
schema extension's per-result hooks (``on_stream_result``) do not see directly sent events: the
hub's extensions have none that matters to an error-free result (masking is for errors).

Nor does a caught-up subscriber keep a task, or the generators strawberry and graphql-core run a
subscription in: its operation ends there and leaves its stream subscriber asleep, with the
outlet, its kind's executor and sharing key (``SharedEventExecution.of_kind``); an event that
must go the ordinary way runs the operation again, resuming that subscriber
(``schema.subscription``'s ``_woken``).
"""
