"""Client matrix scenarios for kombu (Debian's python3-kombu, on py-amqp). Usage: /usr/bin/python3 scenarios.py AMQP_URL

Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
"""
import hashlib
import json
import os
import socket
import sys
import time

from kombu import Connection, Consumer, Exchange, Producer, Queue, binding

URL = sys.argv[1]
P = "cm.kombu.%d" % os.getpid()
HEARTBEAT = 7


def connect(**options):
    conn = Connection(URL, heartbeat=HEARTBEAT, **options)
    conn.connect()
    return conn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def until(conn, pred, what, timeout=5.0):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        try:
            conn.drain_events(timeout=0.02)
        except socket.timeout:
            pass


def settle(conn, seconds):
    """Handles whatever arrives in the next few moments (a stray extra delivery would show up)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            conn.drain_events(timeout=0.02)
        except socket.timeout:
            pass


def get(queue, no_ack=False):
    """basic.get, retried briefly: a publish is asynchronous."""
    end = time.monotonic() + 5
    while True:
        m = queue.get(no_ack=no_ack)
        if m is not None:
            return m
        if time.monotonic() > end:
            raise AssertionError("queue %s stayed empty" % queue.name)
        time.sleep(0.01)


# kombu re-declares a consumer's queues by name, so a server-named queue ("") cannot be consumed from
# with a Consumer: these scenarios use named exclusive queues instead.


def s_connect():
    conn = connect()
    hb = int(conn.connection.heartbeat)
    product = conn.connection.server_properties.get("product")
    conn.close()
    check(hb == HEARTBEAT, "negotiated heartbeat %r, expected %d" % (hb, HEARTBEAT))
    return "heartbeat %s, server %s" % (hb, product)


def s_topology(conn):
    ch = conn.channel()
    x = Exchange(P + ".topo.x", type="direct", durable=False)(ch)
    x.declare()
    q = Queue(P + ".topo.q", exchange=x, routing_key="k", durable=False)(ch)
    q.declare()  # declares and binds
    ok = q.queue_declare(passive=True)
    check(ok.queue == q.name and ok.message_count == 0, "declare-ok %r" % (ok,))
    anon = Queue("", exclusive=True)(ch)
    anon.declare()
    check(anon.name.startswith("amq.gen-"), "server-named queue %s" % anon.name)
    Producer(ch).publish(b"via binding", exchange=x, routing_key="k")
    m = get(q, no_ack=True)
    check(m.body == b"via binding", "got %r" % m.body)
    q.unbind_from(x, routing_key="k")
    q.queue_declare(passive=True)
    q.delete()
    x.delete()
    return "exchange, queue, binding, server-named queue, unbind, delete"


def s_publish_consume_ack(conn):
    ch = conn.channel()
    q = Queue(P + ".work", durable=True)(ch)
    q.declare()
    producer = Producer(ch)
    for i in range(10):
        producer.publish(b"m%d" % i, routing_key=q.name, delivery_mode=2, content_type="text/plain",
                         content_encoding="binary", headers={"n": i})
    got = []

    def on_message(m):
        got.append("%s:%s:%s" % (m.body.decode(), m.headers["n"], m.content_type))
        m.ack()

    consumer = Consumer(ch, queues=[q], on_message=on_message, no_ack=False, prefetch_count=5)
    consumer.consume()
    until(conn, lambda: len(got) >= 10, "10 deliveries")
    want = ["m%d:%d:text/plain" % (i, i) for i in range(10)]
    check(got == want, "got %r" % got)
    time.sleep(0.05)
    left = q.queue_declare(passive=True).message_count
    check(left == 0, "queue still holds %d" % left)
    consumer.cancel()
    q.delete()
    return "10 messages in order, acked, queue empty"


def s_confirm_mandatory_return(conn):
    check(conn.connection.confirm_publish, "publisher confirms not enabled")
    ch = conn.channel()
    q = Queue(P + ".confirm", exclusive=True)(ch)
    q.declare()
    returned = []
    producer = Producer(ch, on_return=lambda exc, exchange, routing_key, message: returned.append((exc, routing_key, message.body)))
    producer.publish(b"routed", routing_key=q.name, mandatory=True)  # waits for basic.ack (confirm_publish)
    check(not returned, "routed message returned %r" % returned)
    producer.publish(b"lost", routing_key=P + ".nowhere", mandatory=True)
    check(len(returned) == 1, "returns %r" % returned)
    exc, rk, body = returned[0]
    check((exc.reply_code, exc.reply_text, rk, body) == (312, "NO_ROUTE", P + ".nowhere", b"lost"), "returned %r" % (returned[0],))
    return "routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE before its confirm"


def s_topic_routing(conn):
    ch = conn.channel()
    x = Exchange(P + ".topic", type="topic", durable=False)(ch)
    x.declare()
    qa = Queue(P + ".topic.a", exchange=x, routing_key="*.orange.*", exclusive=True)(ch)
    qb = Queue(P + ".topic.b", bindings=[binding(x, routing_key="*.*.rabbit"), binding(x, routing_key="lazy.#")], exclusive=True)(ch)
    qa.declare()
    qb.declare()
    got = {"a": [], "b": []}
    ca = Consumer(ch, queues=[qa], on_message=lambda m: got["a"].append(m.delivery_info["routing_key"]), no_ack=True)
    cb = Consumer(ch, queues=[qb], on_message=lambda m: got["b"].append(m.delivery_info["routing_key"]), no_ack=True)
    ca.consume()
    cb.consume()
    producer = Producer(ch, exchange=x)
    for k in ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy",
              "quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit"]:
        producer.publish(k.encode(), routing_key=k)
    want = {"a": ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"],
            "b": ["quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy", "lazy.orange.new.rabbit"]}
    until(conn, lambda: len(got["a"]) >= 3 and len(got["b"]) >= 5, "topic deliveries")
    settle(conn, 0.1)
    check(got == want, "got %r" % got)
    x.delete()
    return "*.orange.* got 3, *.*.rabbit + lazy.# got 5"


def s_nack_requeue(conn):
    ch = conn.channel()
    q = Queue(P + ".nack", exclusive=True)(ch)
    q.declare()
    Producer(ch).publish(b"again", routing_key=q.name)
    seen = []

    def on_message(m):
        seen.append(m.delivery_info["redelivered"])
        if len(seen) == 1:
            m.requeue()  # basic.reject requeue=true: py-amqp sends no basic.nack
        else:
            m.ack()

    Consumer(ch, queues=[q], on_message=on_message).consume()
    until(conn, lambda: len(seen) >= 2, "the redelivery")
    check(seen == [False, True], "redelivered flags %r" % seen)
    time.sleep(0.05)
    left = q.queue_declare(passive=True).message_count
    check(left == 0, "queue still holds %d" % left)
    return "requeued (basic.reject requeue=true), redelivered with redelivered=True, acked"


def s_large_message(conn):
    ch = conn.channel()
    q = Queue(P + ".large", exclusive=True)(ch)
    q.declare()
    body = bytes((i * 31 + 7) & 0xFF for i in range(1024 * 1024))
    Producer(ch).publish(body, routing_key=q.name)
    got = []

    def on_message(m):
        got.append(m.body)
        m.ack()

    Consumer(ch, queues=[q], on_message=on_message).consume()
    until(conn, lambda: got, "the 1 MB message", 10)
    sha = hashlib.sha256(got[0]).hexdigest()
    check(got[0] == body, "got %d bytes, sha256 %s" % (len(got[0]), sha))
    return "1048576 bytes, sha256 %s..." % sha[:12]


def s_rpc_reply_to(conn):
    server = conn.channel()
    rq = Queue(P + ".rpc", exclusive=True)(server)
    rq.declare()
    server_producer = Producer(server)

    def serve(m):
        server_producer.publish(str(int(m.body) ** 2).encode(), routing_key=m.properties["reply_to"],
                                correlation_id=m.properties["correlation_id"])
        m.ack()

    Consumer(server, queues=[rq], on_message=serve).consume()
    client = conn.channel()
    reply_q = Queue(P + ".replies", exclusive=True)(client)
    reply_q.declare()
    answers = {}
    Consumer(client, queues=[reply_q], no_ack=True,
             on_message=lambda m: answers.__setitem__(m.properties["correlation_id"], m.body.decode())).consume()
    for n in (2, 3, 12):
        Producer(client).publish(str(n).encode(), routing_key=rq.name, reply_to=reply_q.name, correlation_id="c%d" % n)
    until(conn, lambda: len(answers) >= 3, "three replies")
    check(answers == {"c2": "4", "c3": "9", "c12": "144"}, "answers %r" % answers)
    return "3 calls answered on an exclusive reply queue, matched by correlation_id"


def s_rpc_direct_reply_to(conn):
    server = conn.channel()
    rq = Queue(P + ".drpc", exclusive=True)(server)
    rq.declare()
    seen = {}

    def serve(m):
        seen["reply_to"] = m.properties["reply_to"]
        Producer(server).publish(b"re:" + m.body, routing_key=m.properties["reply_to"],
                                 correlation_id=m.properties["correlation_id"])
        m.ack()

    Consumer(server, queues=[rq], on_message=serve).consume()
    client = conn.channel()
    reply = []
    direct = Queue("amq.rabbitmq.reply-to", no_declare=True)  # consumed, never declared
    Consumer(client, queues=[direct], no_ack=True,
             on_message=lambda m: reply.append("%s/%s" % (m.properties["correlation_id"], m.body.decode()))).consume()
    Producer(client).publish(b"ping", routing_key=rq.name, reply_to="amq.rabbitmq.reply-to", correlation_id="d1")
    until(conn, lambda: reply, "the direct reply")
    check(seen.get("reply_to", "").startswith("amq.rabbitmq.reply-to."), "server saw reply_to %r" % seen.get("reply_to"))
    check(reply == ["d1/re:ping"], "reply %r" % reply)
    return "reply via amq.rabbitmq.reply-to"


def s_dead_letter(conn):
    ch = conn.channel()
    dlx = Exchange(P + ".dlx", type="direct", durable=False)(ch)
    dlx.declare()
    dlq = Queue(P + ".dlq", exchange=dlx, routing_key="dead", exclusive=True)(ch)
    dlq.declare()
    q = Queue(P + ".dlwork", exclusive=True,
              queue_arguments={"x-dead-letter-exchange": dlx.name, "x-dead-letter-routing-key": "dead"})(ch)
    q.declare()
    Producer(ch).publish(b"doomed", routing_key=q.name)
    m = get(q)
    m.reject(requeue=False)
    d = get(dlq, no_ack=True)
    death = (d.headers or {}).get("x-death", [{}])[0]
    check(d.body == b"doomed" and death.get("reason") == "rejected" and death.get("queue") == q.name and death.get("count") == 1,
          "dead-lettered %r with x-death %r" % (d.body, death))
    dlx.delete()
    return "rejected -> %s, x-death reason %s, count %s" % (dlx.name, death["reason"], death["count"])


def s_clean_close():
    conn = connect()
    ch = conn.channel()
    ch.close()
    transport_conn = conn.connection
    conn.close()
    check(not conn.connected and transport_conn.channels is None, "connection not closed")
    return "channel.close-ok and connection.close-ok received"


def with_conn(fn, **options):
    """Runs fn on a fresh connection, then closes it: a failing close fails the scenario too."""
    def run():
        conn = connect(**options)
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


# Client quirks shown in the README's notes column.
NOTES = {
    "nack_requeue": "nack_requeue: basic.reject with requeue (py-amqp cannot send basic.nack)",
    "topology": "topology: consumers use named queues, since a kombu Consumer re-declares its queues by name, which a broker refuses for a server-named amq.gen- queue",
}

SCENARIOS = [
    ("connect", s_connect),
    ("topology", with_conn(s_topology)),
    ("publish_consume_ack", with_conn(s_publish_consume_ack)),
    ("confirm_mandatory_return", with_conn(s_confirm_mandatory_return, transport_options={"confirm_publish": True})),
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
    if name in NOTES:
        line["note"] = NOTES[name]
    print(json.dumps(line), flush=True)
