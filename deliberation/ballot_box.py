"""The sealing pool's locked box.

A secret ballot is written in the same transaction as its participation (so a counted vote is
never lost), and waits in a pool until a batch of ``tally_step`` ballots is sealed together
(shuffled, with no order, id, time or transaction shared with the voters). While it waits, the
database can tie the pooled row to the voter's participation (same transaction id, neighbouring
physical position, also in a ``pg_dump``). So the pooled choice is stored locked: encrypted
(AES-GCM, a fresh random nonce per ballot) under a key derived from ``SECRET_KEY``, which is not
in the database or its backups, and padded to one fixed size, so neither the content nor the
length of a box says what it holds. Only sealing opens the boxes; the sealed ballots are plain.

Keep ``DJANGO_SECRET_KEY`` (or list the old one in ``DJANGO_SECRET_KEY_FALLBACKS``) when
restoring a backup elsewhere: the ballots still in a pool (fewer than ``tally_step`` per round)
can only be sealed with it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PURPOSE = b"yishi.ballot-pool.v1"
_NONCE = 12
SIZE = 4096  # every box's plaintext is padded to a multiple of this (one size for all ballots)


def _keys() -> list[bytes]:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [hmac.new(s.encode(), _PURPOSE, hashlib.sha256).digest() for s in secrets if s]


def lock(content: Any) -> bytes:
    """The content (anything JSON can hold), padded and encrypted under the current key."""
    raw = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    padded = raw.ljust(max(SIZE, -(-len(raw) // SIZE) * SIZE))  # JSON ignores the trailing spaces
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_keys()[0]).encrypt(nonce, padded, _PURPOSE)


def unlock(box: bytes | memoryview) -> Any:
    """What :func:`lock` locked, with the current key or a fallback key."""
    box = bytes(box)
    nonce, body = box[:_NONCE], box[_NONCE:]
    for key in _keys():
        try:
            return json.loads(AESGCM(key).decrypt(nonce, body, _PURPOSE))
        except InvalidTag:
            continue
    raise ImproperlyConfigured(
        "A ballot in a sealing pool was locked with another SECRET_KEY: set the key it was "
        "written under in DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FALLBACKS."
    )
