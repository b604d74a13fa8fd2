"""Reading department exports from files: encodings, JSON Lines, CSV, and a resumable cursor.

A file cursor remembers which export it was reading (its SHA-256) and how many of its records
are in. Reading the same export again resumes where the last run stopped — at the end, after a
complete run, so nothing is read twice — and a different export starts from its first record;
records it shares with an earlier export are settled record by record (by version).
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from adapters.contract import Batch, Cursor, SourceRecord, SourceUnavailableError

Encoding = Literal["auto", "utf-8", "gb18030"]
Format = Literal["auto", "jsonl", "csv"]
MAX_RAW_TEXT = 10_000


class FileCursor(Cursor):
    digest: str | None = Field(default=None, description="SHA-256 of the export being read.")
    position: int = Field(default=0, ge=0, description="Records of that export already in.")


def require_file(path: Path) -> None:
    if not path.is_file():
        raise SourceUnavailableError(f"no such file: {path}")


def decode(data: bytes, encoding: Encoding) -> str:
    """The text of an export: UTF-8 (with or without BOM) unless declared or not valid."""
    if encoding == "gb18030":
        return data.decode("gb18030")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise SourceUnavailableError("the file is not valid UTF-8") from None
        # Chinese government systems export GB18030 (a superset of GBK and GB2312).
        return data.decode("gb18030")


def sniff_format(path: Path, text: str, declared: Format) -> Literal["jsonl", "csv"]:
    if declared != "auto":
        return declared
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if path.suffix.lower() == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


IdOf = Callable[[dict[str, Any]], str | None]


def json_lines(text: str, id_of: IdOf) -> Iterator[SourceRecord]:
    """One record per non-blank line; a line that is not a JSON object is a problem record."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            yield _problem(number, line, f"line {number} is not JSON: {error.msg}")
            continue
        if not isinstance(raw, dict):
            yield _problem(number, line, f"line {number} is not a JSON object")
            continue
        yield SourceRecord(raw=raw, source_id=id_of(raw))


def csv_rows(text: str, id_of: IdOf) -> Iterator[SourceRecord]:
    """One record per row, keyed by the header; a row of the wrong width is a problem record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            line = ",".join(row)
            reason = f"row {reader.line_num} has {len(row)} fields, the header {len(header)}"
            yield _problem(reader.line_num, line, reason)
            continue
        raw = dict(zip(header, row, strict=True))
        yield SourceRecord(raw=raw, source_id=id_of(raw))


def _problem(number: int, text: str, reason: str) -> SourceRecord:
    return SourceRecord(
        raw={"line": number, "text": text[:MAX_RAW_TEXT]}, source_id=None, problem=reason
    )


async def read_bytes(path: Path) -> bytes:
    require_file(path)
    return await asyncio.to_thread(path.read_bytes)


def digest_of(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


async def batches(
    records: Iterable[SourceRecord],
    *,
    cursor: FileCursor,
    digest: str,
    size: int,
    total: int | None = None,
) -> AsyncIterator[Batch[FileCursor]]:
    """The records after the cursor's position (of the same export), ``size`` at a time."""
    position = cursor.position if cursor.digest == digest else 0
    pending = iter(records)
    skipped = sum(1 for _ in islice(pending, position))
    position = skipped
    yielded = False
    while chunk := list(islice(pending, size)):
        position += len(chunk)
        yielded = True
        yield Batch(chunk, FileCursor(digest=digest, position=position), position, total)
    if not yielded and cursor.digest != digest:
        # An empty export still moves the cursor, so the run records what it read.
        yield Batch([], FileCursor(digest=digest, position=position), position, total)


def text_field(raw: dict[str, Any], name: str) -> str:
    """A field as stripped text ("" when missing or null); numbers as written."""
    value = raw.get(name)
    if value is None:
        return ""
    return str(value).strip()
