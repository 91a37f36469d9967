"""gunicorn's settings: `gunicorn portal.wsgi` reads this file from the working directory.

Every value can be changed through the environment (README, "Beyond one machine").
Its log lines, worker tracebacks included, go through the portal's JSON and redacting handler.
"""

import multiprocessing
import os

from portal.env import env_int, env_str
from portal.log import gunicorn_logging_config

wsgi_app = "portal.wsgi:application"
bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: twice the cores plus one, at most 8 unless WEB_CONCURRENCY says so.
workers = env_int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
# A request that takes longer is killed; long exports belong in Celery tasks.
timeout = env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection from the proxy stays open.
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced now and then, so a slow leak never grows without bound.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# Refuse oversized request lines and headers early.
limit_request_line = 8190
limit_request_fields = 100
# Worker heartbeat files (made with mkstemp) in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

loglevel = env_str("LOG_LEVEL", "INFO").lower()
logconfig_dict = gunicorn_logging_config(env_str("LOG_LEVEL", "INFO").upper())
# The access log is on (logconfig_dict enables it) and its lines are redacted too; the
# request line may carry a query string.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
