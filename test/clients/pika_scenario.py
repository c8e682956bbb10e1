"""A second client (Debian's python3-pika) exercising Warren: declare, bind, confirm, consume, ack, get, errors.

Usage: pika_scenario.py AMQP_URL  -- prints one JSON object with what it observed.
"""
import json
import sys

import pika

url = sys.argv[1]
out = {}
params = pika.URLParameters(url)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.confirm_delivery()

ch.exchange_declare("pika.topic", exchange_type="topic", auto_delete=True)
q = ch.queue_declare("", exclusive=True).method.queue
out["server_named"] = q.startswith("amq.gen-")
ch.queue_bind(q, "pika.topic", routing_key="orders.#")

for i in range(5):
    ch.basic_publish("pika.topic", "orders.eu.%d" % i, ("order %d" % i).encode(),
                     pika.BasicProperties(content_type="text/plain", delivery_mode=2, headers={"n": i, "tags": ["a", "b"]}),
                     mandatory=True)
out["published"] = 5

try:
    ch.basic_publish("pika.topic", "nobody.listens", b"x", mandatory=True)
    out["unroutable"] = "confirmed"
except pika.exceptions.UnroutableError:
    out["unroutable"] = "returned"

method, props, body = ch.basic_get(q, auto_ack=False)
out["get"] = {"body": body.decode(), "routing_key": method.routing_key, "remaining": method.message_count,
              "headers": props.headers, "content_type": props.content_type}
ch.basic_ack(method.delivery_tag)

received = []


def on_message(chan, m, p, b):
    received.append(b.decode())
    chan.basic_ack(m.delivery_tag)
    if len(received) == 4:
        chan.stop_consuming()


ch.basic_qos(prefetch_count=2)
ch.basic_consume(q, on_message)
ch.start_consuming()
out["consumed"] = received

try:
    ch.queue_declare("pika-missing-queue", passive=True)
    out["passive_missing"] = "ok"
except pika.exceptions.ChannelClosedByBroker as e:
    out["passive_missing"] = [e.reply_code, e.reply_text]

conn.close()
print(json.dumps(out))
