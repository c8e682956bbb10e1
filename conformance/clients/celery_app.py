"""A tiny Celery app for conformance/cases/celery.test.ts (Debian's python3-celery, /usr/bin/python3).

Worker:  cd conformance/clients && /usr/bin/python3 -m celery -A celery_app worker --pool=solo --concurrency=1 -Q <queue>
Client:  /usr/bin/python3 conformance/clients/celery_app.py call <a> <b>   (prints {"result": a + b} as JSON)

Environment:
  CELERY_CONFORMANCE_BROKER  the broker URL (amqp://user:pass@host:port[/vhost])
  CELERY_CONFORMANCE_QUEUE   the queue tasks are sent to and the worker consumes (unique per run)
  CELERY_CONFORMANCE_TIMEOUT seconds the client waits for the result (default 20)
"""
import json
import os
import sys

from celery import Celery

BROKER = os.environ["CELERY_CONFORMANCE_BROKER"]
QUEUE = os.environ["CELERY_CONFORMANCE_QUEUE"]

app = Celery("celery_app", broker=BROKER, backend="rpc://")
app.conf.update(
    task_default_queue=QUEUE,
    task_default_exchange=QUEUE,
    task_default_routing_key=QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Fail fast instead of retrying for ever when the broker is unreachable.
    broker_connection_max_retries=1,
    worker_hijack_root_logger=False,
)


@app.task
def add(a, b):
    return a + b


def main(argv):
    if len(argv) != 4 or argv[1] != "call":
        print(__doc__, file=sys.stderr)
        return 2
    timeout = float(os.environ.get("CELERY_CONFORMANCE_TIMEOUT", "20"))
    result = add.delay(int(argv[2]), int(argv[3]))
    try:
        value = result.get(timeout=timeout)
        print(json.dumps({"task_id": result.id, "result": value}))
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
