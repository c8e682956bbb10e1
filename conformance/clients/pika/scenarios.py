"""Client matrix scenarios for pika (Debian's python3-pika). Usage: /usr/bin/python3 scenarios.py AMQP_URL

Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
"""
import hashlib
import json
import os
import sys
import time

import pika
from pika.exceptions import UnroutableError

URL = sys.argv[1]
P = "cm.pika.%d" % os.getpid()
HEARTBEAT = 7


def connect():
    params = pika.URLParameters(URL)
    params.heartbeat = HEARTBEAT
    params.blocked_connection_timeout = 10
    return pika.BlockingConnection(params)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def until(conn, pred, what, timeout=5.0):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        conn.process_data_events(time_limit=0.02)


def get(ch, conn, queue, auto_ack=False):
    """basic.get, retried briefly: a publish is asynchronous."""
    end = time.monotonic() + 5
    while True:
        method, props, body = ch.basic_get(queue, auto_ack=auto_ack)
        if method is not None:
            return method, props, body
        if time.monotonic() > end:
            raise AssertionError("queue %s stayed empty" % queue)
        conn.process_data_events(time_limit=0.01)


def s_connect():
    conn = connect()
    hb = conn._impl.params.heartbeat
    product = conn._impl.server_properties.get("product")
    conn.close()
    check(hb == HEARTBEAT, "negotiated heartbeat %r, expected %d" % (hb, HEARTBEAT))
    return "heartbeat %s, server %s" % (hb, product.decode() if isinstance(product, bytes) else product)


def s_topology(conn):
    ch = conn.channel()
    x, q = P + ".topo.x", P + ".topo.q"
    ch.exchange_declare(x, exchange_type="direct")
    ok = ch.queue_declare(q).method
    check(ok.queue == q and ok.message_count == 0, "declare-ok %r" % ok)
    ch.queue_bind(q, x, routing_key="k")
    anon = ch.queue_declare("", exclusive=True).method.queue
    check(anon.startswith("amq.gen-"), "server-named queue %s" % anon)
    ch.basic_publish(x, "k", b"via binding")
    _, _, body = get(ch, conn, q, auto_ack=True)
    check(body == b"via binding", "got %r" % body)
    ch.queue_unbind(q, x, routing_key="k")
    ch.queue_declare(q, passive=True)
    ch.queue_delete(q)
    ch.exchange_delete(x)
    return "exchange, queue, binding, server-named queue, unbind, delete"


def s_publish_consume_ack(conn):
    ch = conn.channel()
    q = P + ".work"
    ch.queue_declare(q, durable=True)
    for i in range(10):
        ch.basic_publish("", q, ("m%d" % i).encode(),
                         pika.BasicProperties(delivery_mode=2, content_type="text/plain", headers={"n": i}))
    ch.basic_qos(prefetch_count=5)
    got = []

    def on_message(c, m, p, b):
        got.append("%s:%s:%s" % (b.decode(), p.headers["n"], p.content_type))
        c.basic_ack(m.delivery_tag)

    ch.basic_consume(q, on_message)
    until(conn, lambda: len(got) >= 10, "10 deliveries")
    want = ["m%d:%d:text/plain" % (i, i) for i in range(10)]
    check(got == want, "got %r" % got)
    conn.process_data_events(time_limit=0.05)
    left = conn.channel().queue_declare(q, passive=True).method.message_count
    check(left == 0, "queue still holds %d" % left)
    ch.queue_delete(q)
    return "10 messages in order, acked, queue empty"


def s_confirm_mandatory_return(conn):
    ch = conn.channel()
    ch.confirm_delivery()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"routed", mandatory=True)  # raises unless acked
    try:
        ch.basic_publish("", P + ".nowhere", b"lost", mandatory=True)
        raise AssertionError("unroutable mandatory publish was not returned")
    except UnroutableError as e:
        r = e.messages[0]
        check((r.method.reply_code, r.method.reply_text, r.method.routing_key, r.body) == (312, "NO_ROUTE", P + ".nowhere", b"lost"),
              "returned %r %r" % (r.method, r.body))
    return "routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE (UnroutableError)"


def s_topic_routing(conn):
    ch = conn.channel()
    x = P + ".topic"
    ch.exchange_declare(x, exchange_type="topic")
    qa = ch.queue_declare("", exclusive=True).method.queue
    qb = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(qa, x, "*.orange.*")
    ch.queue_bind(qb, x, "*.*.rabbit")
    ch.queue_bind(qb, x, "lazy.#")
    got = {"a": [], "b": []}
    ch.basic_consume(qa, lambda c, m, p, b: got["a"].append(m.routing_key), auto_ack=True)
    ch.basic_consume(qb, lambda c, m, p, b: got["b"].append(m.routing_key), auto_ack=True)
    for k in ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy",
              "quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit"]:
        ch.basic_publish(x, k, k.encode())
    want = {"a": ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"],
            "b": ["quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy", "lazy.orange.new.rabbit"]}
    until(conn, lambda: len(got["a"]) >= 3 and len(got["b"]) >= 5, "topic deliveries")
    conn.process_data_events(time_limit=0.1)
    check(got == want, "got %r" % got)
    ch.exchange_delete(x)
    return "*.orange.* got 3, *.*.rabbit + lazy.# got 5"


def s_nack_requeue(conn):
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"again")
    seen = []

    def on_message(c, m, p, b):
        seen.append(m.redelivered)
        if len(seen) == 1:
            c.basic_nack(m.delivery_tag, requeue=True)
        else:
            c.basic_ack(m.delivery_tag)

    ch.basic_consume(q, on_message)
    until(conn, lambda: len(seen) >= 2, "the redelivery")
    check(seen == [False, True], "redelivered flags %r" % seen)
    conn.process_data_events(time_limit=0.05)
    left = conn.channel().queue_declare(q, passive=True).method.message_count
    check(left == 0, "queue still holds %d" % left)
    return "nacked with requeue, redelivered with redelivered=True, acked"


def s_large_message(conn):
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    body = bytes((i * 31 + 7) & 0xFF for i in range(1024 * 1024))
    ch.basic_publish("", q, body)
    got = []

    def on_message(c, m, p, b):
        got.append(b)
        c.basic_ack(m.delivery_tag)

    ch.basic_consume(q, on_message)
    until(conn, lambda: got, "the 1 MB message", 10)
    sha = hashlib.sha256(got[0]).hexdigest()
    check(got[0] == body, "got %d bytes, sha256 %s" % (len(got[0]), sha))
    return "1048576 bytes, sha256 %s..." % sha[:12]


def s_rpc_reply_to(conn):
    server = conn.channel()
    rq = server.queue_declare(P + ".rpc", exclusive=True).method.queue

    def serve(c, m, p, b):
        c.basic_publish("", p.reply_to, str(int(b) ** 2).encode(), pika.BasicProperties(correlation_id=p.correlation_id))
        c.basic_ack(m.delivery_tag)

    server.basic_consume(rq, serve)
    client = conn.channel()
    reply_to = client.queue_declare("", exclusive=True).method.queue
    answers = {}
    client.basic_consume(reply_to, lambda c, m, p, b: answers.__setitem__(p.correlation_id, b.decode()), auto_ack=True)
    for n in (2, 3, 12):
        client.basic_publish("", rq, str(n).encode(), pika.BasicProperties(reply_to=reply_to, correlation_id="c%d" % n))
    until(conn, lambda: len(answers) >= 3, "three replies")
    check(answers == {"c2": "4", "c3": "9", "c12": "144"}, "answers %r" % answers)
    return "3 calls answered on an exclusive reply queue, matched by correlation_id"


def s_rpc_direct_reply_to(conn):
    server = conn.channel()
    rq = server.queue_declare(P + ".drpc", exclusive=True).method.queue
    seen = {}

    def serve(c, m, p, b):
        seen["reply_to"] = p.reply_to
        c.basic_publish("", p.reply_to, b"re:" + b, pika.BasicProperties(correlation_id=p.correlation_id))
        c.basic_ack(m.delivery_tag)

    server.basic_consume(rq, serve)
    client = conn.channel()
    reply = []
    client.basic_consume("amq.rabbitmq.reply-to", lambda c, m, p, b: reply.append("%s/%s" % (p.correlation_id, b.decode())), auto_ack=True)
    client.basic_publish("", rq, b"ping", pika.BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id="d1"))
    until(conn, lambda: reply, "the direct reply")
    check(seen.get("reply_to", "").startswith("amq.rabbitmq.reply-to."), "server saw reply_to %r" % seen.get("reply_to"))
    check(reply == ["d1/re:ping"], "reply %r" % reply)
    return "reply via amq.rabbitmq.reply-to"


def s_dead_letter(conn):
    ch = conn.channel()
    dlx, dlq, q = P + ".dlx", P + ".dlq", P + ".dlwork"
    ch.exchange_declare(dlx, exchange_type="direct")
    ch.queue_declare(dlq, exclusive=True)
    ch.queue_bind(dlq, dlx, "dead")
    ch.queue_declare(q, exclusive=True, arguments={"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead"})
    ch.basic_publish("", q, b"doomed")
    m, _, _ = get(ch, conn, q)
    ch.basic_reject(m.delivery_tag, requeue=False)
    _, props, body = get(ch, conn, dlq, auto_ack=True)
    death = (props.headers or {}).get("x-death", [{}])[0]
    check(body == b"doomed" and death.get("reason") == "rejected" and death.get("queue") == q and death.get("count") == 1,
          "dead-lettered %r with x-death %r" % (body, death))
    ch.exchange_delete(dlx)
    return "rejected -> %s, x-death reason %s, count %s" % (dlx, death["reason"], death["count"])


def s_clean_close():
    conn = connect()
    ch = conn.channel()
    ch.close()
    check(ch.is_closed, "channel not closed")
    conn.close()
    check(conn.is_closed, "connection not closed")
    return "channel.close-ok and connection.close-ok received"


def with_conn(fn):
    """Runs fn on a fresh connection, then closes it: a failing close fails the scenario too."""
    def run():
        conn = connect()
        try:
            result = fn(conn)
        except Exception:
            try:
                conn.close()
            except Exception:
                pass
            raise
        conn.close()
        return result
    return run


SCENARIOS = [
    ("connect", s_connect),
    ("topology", with_conn(s_topology)),
    ("publish_consume_ack", with_conn(s_publish_consume_ack)),
    ("confirm_mandatory_return", with_conn(s_confirm_mandatory_return)),
    ("topic_routing", with_conn(s_topic_routing)),
    ("nack_requeue", with_conn(s_nack_requeue)),
    ("large_message", with_conn(s_large_message)),
    ("rpc_reply_to", with_conn(s_rpc_reply_to)),
    ("rpc_direct_reply_to", with_conn(s_rpc_direct_reply_to)),
    ("dead_letter", with_conn(s_dead_letter)),
    ("clean_close", s_clean_close),
]

for name, fn in SCENARIOS:
    try:
        line = {"scenario": name, "ok": True, "detail": fn()}
    except Exception as e:  # noqa: BLE001 - any failure is the scenario's result
        line = {"scenario": name, "ok": False, "detail": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(line), flush=True)
