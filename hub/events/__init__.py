"""Live events: the case and whistle timelines followed in id order and fanned out to subscribers.

The event tables are the outbox: every change writes its event in its own transaction, so an
event exists exactly when its change committed.  Each hub process follows both tables itself
(``stream``): a commit through the process's own sessions wakes it at once (``commits``), a
notice on Redis wakes it for another process's commit (``bus``), and a poll every
``HUB_EVENTS_POLL_SECONDS`` catches whatever no one announced (a CLI sweep, an adapter run, a
notice lost while Redis was down).  Redis carries only "something new" notices, never events, so
losing one costs latency, not data.
"""
