"""Throwaway local servers for the tests and the benchmarks, each on a free port of 127.0.0.1 and stopped
after use: a PostgreSQL cluster in a temp folder (``Cluster``), the app as ``make run`` serves it
(``AppServer``) and nginx with the sample configuration in front of app servers (``Proxy``).

It owns starting, health-checking and stopping them, and nothing the app runs in production; it imports
only ``settings`` (the repository's folder) and ``ui`` (the app's command line). The tests
(``tests/conftest.py``, ``tests/app/test_replicas.py``) and ``bench.replicas`` use it, neither the other.

>>> with Cluster() as cluster:
...     url = cluster.create_database("audit_test")   # postgresql://mbc@127.0.0.1:PORT/audit_test
>>> app = AppServer({**os.environ, "MBC_AUDIT_DB": url}, Path("app.log")).start().wait()
>>> proxy = Proxy([f"127.0.0.1:{app.port}"], Path("nginx")).start()   # proxy.url
"""

from servers.app import AppServer
from servers.nginx import Proxy
from servers.postgres import Cluster, server_bin

__all__ = ["AppServer", "Cluster", "Proxy", "server_bin"]
