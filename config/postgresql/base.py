"""Django's PostgreSQL backend with a health check that costs no round trip when it need not.

``CONN_HEALTH_CHECKS`` makes Django ping (``SELECT 1``) a persistent connection before its first
query in every request: on a 2-core box that round trip is a fifth of the CPU a small API request
costs. A connection sitting idle between requests has nothing to read, unless the server has
closed it or sent it a notice (a restart, an administrator's terminate, an idle timeout): so look
first whether the socket has anything to read, and only ping when it does, or when psycopg
already knows the connection is closed or broken (that one is discarded without a ping).
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn: Any = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return bool(super().is_usable())
