"""An iCalendar (RFC 5545) file for one meeting: CRLF line endings, escaped text, lines folded at
75 octets, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets (§3.1), never inside a character."""
    out: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with one space
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def calendar(
    *,
    uid: str,
    summary: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    description: str = "",
    url: str = "",
    stamp: datetime | None = None,
) -> str:
    lines: Iterable[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Yishi//Meetings//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(stamp or timezone.now())}",
        f"DTSTART:{utc(starts_at)}",
        f"DTEND:{utc(ends_at)}",
        f"SUMMARY:{escape(summary)}",
        *([f"LOCATION:{escape(location)}"] if location else []),
        *([f"DESCRIPTION:{escape(description)}"] if description else []),
        *([f"URL:{url}"] if url else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
