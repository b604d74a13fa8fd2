"""The audit log: one entry per mutation attempt, hash-chained (``hub.audit.chain``)."""

from hub.audit import chain as chain  # every session chains the audit entries it flushes
