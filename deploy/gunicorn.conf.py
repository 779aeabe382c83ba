"""gunicorn for yishi-web.service (and .ci/smoke): sync workers, 2 x cores + 1 unless
``GUNICORN_WORKERS`` says otherwise; bound to ``YISHI_WEB_BIND`` (default 127.0.0.1:8000).

A sync worker serves one request at a time and each request waits on the database a good part of
its time, so twice the cores keeps the CPUs busy while the others wait; the one more covers a
worker restarting (``max_requests``). Websockets are daphne's (yishi-ws@.service), not these.
"""

import multiprocessing
import os

bind = os.environ.get("YISHI_WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# a worker is replaced after this many requests (a slow leak never grows for long)
max_requests = 2000
max_requests_jitter = 200
# the app writes one line per request (projects/middleware.py): no second access log here
accesslog = None
errorlog = "-"
# only nginx on this host may tell gunicorn the scheme (Django reads it: YISHI_BEHIND_PROXY)
forwarded_allow_ips = "127.0.0.1"
proc_name = "yishi-web"
