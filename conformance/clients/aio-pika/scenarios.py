"""Client matrix scenarios for aio-pika (Debian's python3-aio-pika, on aiormq). Usage: /usr/bin/python3 scenarios.py AMQP_URL

Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
"""
import asyncio
import hashlib
import json
import os
import sys

import aio_pika
from aio_pika import ExchangeType, Message

URL = sys.argv[1]
P = "cm.aio-pika.%d" % os.getpid()
HEARTBEAT = 7


async def connect():
    sep = "&" if "?" in URL else "?"
    return await aio_pika.connect(URL + sep + "heartbeat=%d" % HEARTBEAT)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def until(pred, what, timeout=5.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.005)


async def get(queue, no_ack=False):
    """basic.get, retried briefly: a publish is asynchronous."""
    for _ in range(500):
        m = await queue.get(no_ack=no_ack, fail=False)
        if m is not None:
            return m
        await asyncio.sleep(0.01)
    raise AssertionError("queue %s stayed empty" % queue.name)


async def s_connect():
    conn = await connect()
    hb = conn.transport.connection.connection_tune.heartbeat
    product = conn.transport.connection.server_properties.get("product")
    await conn.close()
    check(hb == HEARTBEAT, "negotiated heartbeat %r, expected %d" % (hb, HEARTBEAT))
    return "heartbeat %s, server %s" % (hb, product)


async def s_topology(conn):
    ch = await conn.channel()
    x = await ch.declare_exchange(P + ".topo.x", ExchangeType.DIRECT)
    q = await ch.declare_queue(P + ".topo.q")
    check(q.declaration_result.message_count == 0, "declare-ok %r" % q.declaration_result)
    await q.bind(x, "k")
    anon = await ch.declare_queue("", exclusive=True)
    check(anon.name.startswith("amq.gen-"), "server-named queue %s" % anon.name)
    await x.publish(Message(b"via binding"), "k")
    m = await get(q, no_ack=True)
    check(m.body == b"via binding", "got %r" % m.body)
    await q.unbind(x, "k")
    await ch.declare_queue(P + ".topo.q", passive=True)
    await q.delete()
    await x.delete()
    return "exchange, queue, binding, server-named queue, unbind, delete"


async def s_publish_consume_ack(conn):
    ch = await conn.channel()
    await ch.set_qos(prefetch_count=5)
    q = await ch.declare_queue(P + ".work", durable=True)
    for i in range(10):
        await ch.default_exchange.publish(
            Message(b"m%d" % i, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, content_type="text/plain", headers={"n": i}),
            q.name)
    got = []

    async def on_message(m):
        got.append("%s:%s:%s" % (m.body.decode(), m.headers["n"], m.content_type))
        await m.ack()

    await q.consume(on_message)
    await until(lambda: len(got) >= 10, "10 deliveries")
    want = ["m%d:%d:text/plain" % (i, i) for i in range(10)]
    check(got == want, "got %r" % got)
    await asyncio.sleep(0.05)
    left = (await (await conn.channel()).declare_queue(q.name, passive=True)).declaration_result.message_count
    check(left == 0, "queue still holds %d" % left)
    await q.delete(if_unused=False)
    return "10 messages in order, acked, queue empty"


async def s_confirm_mandatory_return(conn):
    ch = await conn.channel(publisher_confirms=True)
    q = await ch.declare_queue("", exclusive=True)
    returned = []
    ch.return_callbacks.add(lambda _ch, m: returned.append(m))
    ok = await ch.default_exchange.publish(Message(b"routed", message_id="r1"), q.name, mandatory=True)
    check(type(ok).__name__ == "Ack", "routed publish answered %r" % ok)
    # aiormq pairs a basic.return with its publish through message_id.
    res = await ch.default_exchange.publish(Message(b"lost", message_id="r2"), P + ".nowhere", mandatory=True)
    await until(lambda: returned, "the basic.return")
    r = returned[0]
    check((r.body, r.routing_key, r.message_id) == (b"lost", P + ".nowhere", "r2"), "returned %r" % r)
    frame = res.delivery
    check((frame.reply_code, frame.reply_text) == (312, "NO_ROUTE"), "return frame %r" % frame)
    return "routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE"


async def s_topic_routing(conn):
    ch = await conn.channel()
    x = await ch.declare_exchange(P + ".topic", ExchangeType.TOPIC)
    qa = await ch.declare_queue("", exclusive=True)
    qb = await ch.declare_queue("", exclusive=True)
    await qa.bind(x, "*.orange.*")
    await qb.bind(x, "*.*.rabbit")
    await qb.bind(x, "lazy.#")
    got = {"a": [], "b": []}

    async def on_a(m):
        got["a"].append(m.routing_key)

    async def on_b(m):
        got["b"].append(m.routing_key)

    await qa.consume(on_a, no_ack=True)
    await qb.consume(on_b, no_ack=True)
    for k in ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy",
              "quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit"]:
        await x.publish(Message(k.encode()), k)
    want = {"a": ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"],
            "b": ["quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy", "lazy.orange.new.rabbit"]}
    await until(lambda: len(got["a"]) >= 3 and len(got["b"]) >= 5, "topic deliveries")
    await asyncio.sleep(0.1)
    check(got == want, "got %r" % got)
    await x.delete()
    return "*.orange.* got 3, *.*.rabbit + lazy.# got 5"


async def s_nack_requeue(conn):
    ch = await conn.channel()
    q = await ch.declare_queue("", exclusive=True)
    await ch.default_exchange.publish(Message(b"again"), q.name)
    seen = []

    async def on_message(m):
        seen.append(m.redelivered)
        if len(seen) == 1:
            await m.nack(requeue=True)
        else:
            await m.ack()

    await q.consume(on_message)
    await until(lambda: len(seen) >= 2, "the redelivery")
    check(seen == [False, True], "redelivered flags %r" % seen)
    await asyncio.sleep(0.05)
    left = (await (await conn.channel()).declare_queue(q.name, passive=True)).declaration_result.message_count
    check(left == 0, "queue still holds %d" % left)
    return "nacked with requeue, redelivered with redelivered=True, acked"


async def s_large_message(conn):
    ch = await conn.channel()
    q = await ch.declare_queue("", exclusive=True)
    body = bytes((i * 31 + 7) & 0xFF for i in range(1024 * 1024))
    await ch.default_exchange.publish(Message(body), q.name)
    got = []

    async def on_message(m):
        got.append(m.body)
        await m.ack()

    await q.consume(on_message)
    await until(lambda: got, "the 1 MB message", 10)
    sha = hashlib.sha256(got[0]).hexdigest()
    check(got[0] == body, "got %d bytes, sha256 %s" % (len(got[0]), sha))
    return "1048576 bytes, sha256 %s..." % sha[:12]


async def s_rpc_reply_to(conn):
    server = await conn.channel()
    rq = await server.declare_queue(P + ".rpc", exclusive=True)

    async def serve(m):
        await server.default_exchange.publish(Message(str(int(m.body) ** 2).encode(), correlation_id=m.correlation_id), m.reply_to)
        await m.ack()

    await rq.consume(serve)
    client = await conn.channel()
    reply_q = await client.declare_queue("", exclusive=True)
    answers = {}

    async def on_reply(m):
        answers[m.correlation_id] = m.body.decode()

    await reply_q.consume(on_reply, no_ack=True)
    for n in (2, 3, 12):
        await client.default_exchange.publish(Message(str(n).encode(), reply_to=reply_q.name, correlation_id="c%d" % n), rq.name)
    await until(lambda: len(answers) >= 3, "three replies")
    check(answers == {"c2": "4", "c3": "9", "c12": "144"}, "answers %r" % answers)
    return "3 calls answered on an exclusive reply queue, matched by correlation_id"


async def s_rpc_direct_reply_to(conn):
    server = await conn.channel()
    rq = await server.declare_queue(P + ".drpc", exclusive=True)
    seen = {}

    async def serve(m):
        seen["reply_to"] = m.reply_to
        await server.default_exchange.publish(Message(b"re:" + m.body, correlation_id=m.correlation_id), m.reply_to)
        await m.ack()

    await rq.consume(serve)
    client = await conn.channel()
    reply = []
    # amq.rabbitmq.reply-to is consumed without being declared.
    direct = aio_pika.Queue(client.channel, "amq.rabbitmq.reply-to", durable=False, exclusive=False, auto_delete=False, arguments=None)

    async def on_reply(m):
        reply.append("%s/%s" % (m.correlation_id, m.body.decode()))

    await direct.consume(on_reply, no_ack=True)
    await client.default_exchange.publish(Message(b"ping", reply_to="amq.rabbitmq.reply-to", correlation_id="d1"), rq.name)
    await until(lambda: reply, "the direct reply")
    check(str(seen.get("reply_to", "")).startswith("amq.rabbitmq.reply-to."), "server saw reply_to %r" % seen.get("reply_to"))
    check(reply == ["d1/re:ping"], "reply %r" % reply)
    return "reply via amq.rabbitmq.reply-to"


async def s_dead_letter(conn):
    ch = await conn.channel()
    dlx = await ch.declare_exchange(P + ".dlx", ExchangeType.DIRECT)
    dlq = await ch.declare_queue(P + ".dlq", exclusive=True)
    await dlq.bind(dlx, "dead")
    q = await ch.declare_queue(P + ".dlwork", exclusive=True,
                               arguments={"x-dead-letter-exchange": dlx.name, "x-dead-letter-routing-key": "dead"})
    await ch.default_exchange.publish(Message(b"doomed"), q.name)
    m = await get(q)
    await m.reject(requeue=False)
    d = await get(dlq, no_ack=True)
    death = (d.headers or {}).get("x-death", [{}])[0]
    check(d.body == b"doomed" and death.get("reason") == "rejected" and death.get("queue") == q.name and death.get("count") == 1,
          "dead-lettered %r with x-death %r" % (d.body, death))
    await dlx.delete()
    return "rejected -> %s, x-death reason %s, count %s" % (dlx.name, death["reason"], death["count"])


async def s_clean_close():
    conn = await connect()
    ch = await conn.channel()
    await ch.close()
    check(ch.is_closed, "channel not closed")
    await conn.close()
    check(conn.is_closed, "connection not closed")
    return "channel.close-ok and connection.close-ok received"


def with_conn(fn):
    """Runs fn on a fresh connection, then closes it: a failing close fails the scenario too."""
    async def run():
        conn = await connect()
        try:
            result = await fn(conn)
        except Exception:
            try:
                await conn.close()
            except Exception:
                pass
            raise
        await conn.close()
        return result
    return run


# Client quirks shown in the README's notes column.
NOTES = {
    "confirm_mandatory_return": "confirm_mandatory_return: aiormq pairs a basic.return with its publish through message_id, so a returned message needs one",
}

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


async def main():
    for name, fn in SCENARIOS:
        try:
            line = {"scenario": name, "ok": True, "detail": await asyncio.wait_for(fn(), 20)}
        except Exception as e:  # noqa: BLE001 - any failure is the scenario's result
            line = {"scenario": name, "ok": False, "detail": "%s: %s" % (type(e).__name__, e)}
        if name in NOTES:
            line["note"] = NOTES[name]
        print(json.dumps(line), flush=True)


asyncio.run(main())
