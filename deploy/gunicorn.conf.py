"""gunicorn's settings for the app servers: `gunicorn -c deploy/gunicorn.conf.py efinance.wsgi`.

With the operators' metrics on (`METRICS_ENABLED`) and several workers, prometheus-client counts in
the files of `PROMETHEUS_MULTIPROC_DIR` (emptied by the service before gunicorn starts); a worker
that exits leaves its gauges behind, which `child_exit` tells the client about.
"""

import os

logconfig_json = os.path.join(os.path.dirname(__file__), "gunicorn-logging.json")
control_socket_disable = True  # gunicorn 23's control socket under the home directory: not needed


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
