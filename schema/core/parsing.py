"""The first stage of the limits: a query's length and tokens, checked as it is parsed."""

from __future__ import annotations

import functools

from graphql import DocumentNode, GraphQLSyntaxError, parse
from graphql.language import Lexer, Source, TokenKind

from schema.core.limits import LimitExceededError, QueryLimits

__all__ = ["count_tokens", "parse_within_limits"]


@functools.lru_cache(maxsize=512)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    """Front ends send the same few documents over and over: each text is parsed once (the
    document is only read afterwards, as strawberry's own parser cache assumes). Failures are
    not kept."""
    return parse(query, max_lexical_tokens=max_tokens)


def parse_within_limits(query: str, limits: QueryLimits) -> DocumentNode | None:
    """Parse ``query``; raise ``LimitExceededError`` over a limit, ``None`` on a syntax error."""
    if len(query) > limits.max_query_length:
        raise LimitExceededError(
            "QUERY_TOO_LARGE",
            f"The query is {len(query)} characters long; at most {limits.max_query_length}"
            " are allowed. Send long values as variables.",
            limits.max_query_length,
            len(query),
        )
    try:
        return _parse(query, limits.max_tokens)
    except GraphQLSyntaxError:
        # Over a limit, or an ordinary mistake?  Only this failing path lexes the query again.
        tokens, nesting = _lex(query, stop_after=limits.max_tokens + 1)
        if tokens > limits.max_tokens:
            raise LimitExceededError(
                "TOO_MANY_TOKENS",
                f"The query has more than {limits.max_tokens} tokens, the most allowed."
                " Send long values as variables.",
                limits.max_tokens,
                None,  # counting stopped one past the limit
            ) from None
        if nesting > limits.max_depth + 1:  # too deep for the parser's recursion, say
            raise LimitExceededError(
                "QUERY_TOO_DEEP",
                f"The query nests braces {nesting} levels deep; fields may nest at most"
                f" {limits.max_depth} levels.",
                limits.max_depth,
                None,
            ) from None
        return None


def count_tokens(query: str, stop_after: int | None = None) -> int:
    """Lexical tokens of ``query`` (comments excluded), counting stops at ``stop_after``.

    Counting stops early at a lexical error too: such a document is a syntax error, not a
    flood, whatever its length.
    """
    return _lex(query, stop_after)[0]


def _lex(query: str, stop_after: int | None = None) -> tuple[int, int]:
    """Token count and deepest ``{`` nesting of ``query``, up to ``stop_after`` tokens."""
    lexer = Lexer(Source(query))
    count = depth = deepest = 0
    try:
        while (kind := lexer.advance().kind) is not TokenKind.EOF:
            count += 1
            if kind is TokenKind.BRACE_L:
                depth += 1
                deepest = max(deepest, depth)
            elif kind is TokenKind.BRACE_R:
                depth -= 1
            if stop_after is not None and count >= stop_after:
                break
    except GraphQLSyntaxError:
        pass
    return count, deepest
