// Client matrix scenarios for amqp091-go (Debian's golang-github-rabbitmq-amqp091-go-dev).
// Built with GO111MODULE=off GOPATH=/usr/share/gocode (offline, from Debian's source package).
// Usage: scenarios AMQP_URL. Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const heartbeat = 7 * time.Second

var url = os.Args[1]
var prefix = fmt.Sprintf("cm.go.%d", os.Getpid())

func dial() (*amqp.Connection, error) {
	return amqp.DialConfig(url, amqp.Config{Heartbeat: heartbeat})
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Errorf("%s: %w", what, err))
	}
}

func check(cond bool, format string, args ...interface{}) {
	if !cond {
		panic(fmt.Errorf(format, args...))
	}
}

// next waits for one delivery.
func next(ch <-chan amqp.Delivery, what string) amqp.Delivery {
	select {
	case d, ok := <-ch:
		check(ok, "delivery channel closed waiting for %s", what)
		return d
	case <-time.After(5 * time.Second):
		panic(fmt.Errorf("timed out waiting for %s", what))
	}
}

// get is basic.get retried briefly: a publish is asynchronous.
func get(ch *amqp.Channel, q string, autoAck bool) amqp.Delivery {
	for i := 0; i < 500; i++ {
		d, ok, err := ch.Get(q, autoAck)
		must(err, "basic.get")
		if ok {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	panic(fmt.Errorf("queue %s stayed empty", q))
}

func channel(conn *amqp.Connection) *amqp.Channel {
	ch, err := conn.Channel()
	must(err, "channel.open")
	return ch
}

func sConnect() string {
	conn, err := dial()
	must(err, "dial")
	hb := conn.Config.Heartbeat
	product := conn.Properties["product"]
	must(conn.Close(), "close")
	check(hb == heartbeat, "negotiated heartbeat %v, expected %v", hb, heartbeat)
	return fmt.Sprintf("heartbeat %v, server %v", hb, product)
}

func sTopology(conn *amqp.Connection) string {
	ch := channel(conn)
	x, q := prefix+".topo.x", prefix+".topo.q"
	must(ch.ExchangeDeclare(x, "direct", false, false, false, false, nil), "exchange.declare")
	ok, err := ch.QueueDeclare(q, false, false, false, false, nil)
	must(err, "queue.declare")
	check(ok.Name == q && ok.Messages == 0, "declare-ok %+v", ok)
	must(ch.QueueBind(q, "k", x, false, nil), "queue.bind")
	anon, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare server-named")
	check(strings.HasPrefix(anon.Name, "amq.gen-"), "server-named queue %s", anon.Name)
	must(ch.Publish(x, "k", false, false, amqp.Publishing{Body: []byte("via binding")}), "publish")
	d := get(ch, q, true)
	check(string(d.Body) == "via binding", "got %q", d.Body)
	must(ch.QueueUnbind(q, "k", x, nil), "queue.unbind")
	_, err = ch.QueueDeclarePassive(q, false, false, false, false, nil)
	must(err, "passive queue.declare")
	_, err = ch.QueueDelete(q, false, false, false)
	must(err, "queue.delete")
	must(ch.ExchangeDelete(x, false, false), "exchange.delete")
	return "exchange, queue, binding, server-named queue, unbind, delete"
}

func sPublishConsumeAck(conn *amqp.Connection) string {
	ch := channel(conn)
	q := prefix + ".work"
	_, err := ch.QueueDeclare(q, true, false, false, false, nil)
	must(err, "queue.declare")
	for i := 0; i < 10; i++ {
		must(ch.Publish("", q, false, false, amqp.Publishing{
			Body: []byte(fmt.Sprintf("m%d", i)), DeliveryMode: amqp.Persistent, ContentType: "text/plain",
			Headers: amqp.Table{"n": int32(i)},
		}), "publish")
	}
	must(ch.Qos(5, 0, false), "basic.qos")
	msgs, err := ch.Consume(q, "", false, false, false, false, nil)
	must(err, "basic.consume")
	var got, want []string
	for i := 0; i < 10; i++ {
		d := next(msgs, "10 deliveries")
		got = append(got, fmt.Sprintf("%s:%v:%s", d.Body, d.Headers["n"], d.ContentType))
		want = append(want, fmt.Sprintf("m%d:%d:text/plain", i, i))
		must(d.Ack(false), "basic.ack")
	}
	check(reflect.DeepEqual(got, want), "got %v", got)
	time.Sleep(50 * time.Millisecond)
	left, err := channel(conn).QueueDeclarePassive(q, true, false, false, false, nil)
	must(err, "passive queue.declare")
	check(left.Messages == 0, "queue still holds %d", left.Messages)
	_, err = ch.QueueDelete(q, false, false, false)
	must(err, "queue.delete")
	return "10 messages in order, acked, queue empty"
}

func sConfirmMandatoryReturn(conn *amqp.Connection) string {
	ch := channel(conn)
	must(ch.Confirm(false), "confirm.select")
	// Buffered so the library never blocks delivering a return or a confirm before we read it.
	returns := ch.NotifyReturn(make(chan amqp.Return, 4))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 4))
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	must(ch.Publish("", q.Name, true, false, amqp.Publishing{Body: []byte("routed")}), "publish routed")
	c := <-confirms
	check(c.Ack && c.DeliveryTag == 1, "routed publish: %+v", c)
	must(ch.Publish("", prefix+".nowhere", true, false, amqp.Publishing{Body: []byte("lost")}), "publish unroutable")
	// The library hands returns and confirms over on separate Go channels, so their relative order is not observable.
	var events []string
	select {
	case r := <-returns:
		events = append(events, fmt.Sprintf("return:%d:%s:%s:%s", r.ReplyCode, r.ReplyText, r.RoutingKey, r.Body))
	case <-time.After(5 * time.Second):
		panic(fmt.Errorf("timed out waiting for the basic.return"))
	}
	select {
	case c := <-confirms:
		events = append(events, fmt.Sprintf("confirm:%d:%v", c.DeliveryTag, c.Ack))
	case <-time.After(5 * time.Second):
		panic(fmt.Errorf("timed out waiting for the confirm of the returned message"))
	}
	want := []string{fmt.Sprintf("return:312:NO_ROUTE:%s.nowhere:lost", prefix), "confirm:2:true"}
	check(reflect.DeepEqual(events, want), "events %v", events)
	return "routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE, then confirmed"
}

func sTopicRouting(conn *amqp.Connection) string {
	ch := channel(conn)
	x := prefix + ".topic"
	must(ch.ExchangeDeclare(x, "topic", false, false, false, false, nil), "exchange.declare")
	qa, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	qb, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	must(ch.QueueBind(qa.Name, "*.orange.*", x, false, nil), "queue.bind")
	must(ch.QueueBind(qb.Name, "*.*.rabbit", x, false, nil), "queue.bind")
	must(ch.QueueBind(qb.Name, "lazy.#", x, false, nil), "queue.bind")
	da, err := ch.Consume(qa.Name, "", true, false, false, false, nil)
	must(err, "basic.consume")
	db, err := ch.Consume(qb.Name, "", true, false, false, false, nil)
	must(err, "basic.consume")
	for _, k := range []string{"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy",
		"quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit"} {
		must(ch.Publish(x, k, false, false, amqp.Publishing{Body: []byte(k)}), "publish")
	}
	wantA := []string{"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"}
	wantB := []string{"quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy", "lazy.orange.new.rabbit"}
	var gotA, gotB []string
	for range wantA {
		gotA = append(gotA, next(da, "*.orange.* deliveries").RoutingKey)
	}
	for range wantB {
		gotB = append(gotB, next(db, "*.*.rabbit / lazy.# deliveries").RoutingKey)
	}
	time.Sleep(100 * time.Millisecond)
	check(len(da) == 0 && len(db) == 0, "extra deliveries")
	check(reflect.DeepEqual(gotA, wantA) && reflect.DeepEqual(gotB, wantB), "got %v and %v", gotA, gotB)
	must(ch.ExchangeDelete(x, false, false), "exchange.delete")
	return "*.orange.* got 3, *.*.rabbit + lazy.# got 5"
}

func sNackRequeue(conn *amqp.Connection) string {
	ch := channel(conn)
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	must(ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("again")}), "publish")
	msgs, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	must(err, "basic.consume")
	first := next(msgs, "the message")
	must(first.Nack(false, true), "basic.nack")
	second := next(msgs, "the redelivery")
	must(second.Ack(false), "basic.ack")
	check(!first.Redelivered && second.Redelivered && string(second.Body) == "again",
		"redelivered flags %v %v", first.Redelivered, second.Redelivered)
	time.Sleep(50 * time.Millisecond)
	left, err := channel(conn).QueueDeclarePassive(q.Name, false, false, true, false, nil)
	must(err, "passive queue.declare")
	check(left.Messages == 0, "queue still holds %d", left.Messages)
	return "nacked with requeue, redelivered with redelivered=true, acked"
}

func sLargeMessage(conn *amqp.Connection) string {
	ch := channel(conn)
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	body := make([]byte, 1024*1024)
	for i := range body {
		body[i] = byte(i*31 + 7)
	}
	must(ch.Publish("", q.Name, false, false, amqp.Publishing{Body: body}), "publish")
	msgs, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	must(err, "basic.consume")
	d := next(msgs, "the 1 MB message")
	must(d.Ack(false), "basic.ack")
	sum := fmt.Sprintf("%x", sha256.Sum256(d.Body))
	check(bytes.Equal(d.Body, body), "got %d bytes, sha256 %s", len(d.Body), sum)
	return fmt.Sprintf("1048576 bytes, sha256 %s...", sum[:12])
}

func sRPCReplyTo(conn *amqp.Connection) string {
	server := channel(conn)
	rq, err := server.QueueDeclare(prefix+".rpc", false, false, true, false, nil)
	must(err, "queue.declare")
	requests, err := server.Consume(rq.Name, "", false, false, false, false, nil)
	must(err, "basic.consume")
	go func() {
		for d := range requests {
			n, _ := strconv.Atoi(string(d.Body))
			_ = server.Publish("", d.ReplyTo, false, false, amqp.Publishing{Body: []byte(strconv.Itoa(n * n)), CorrelationId: d.CorrelationId})
			_ = d.Ack(false)
		}
	}()
	client := channel(conn)
	replyQ, err := client.QueueDeclare("", false, false, true, false, nil)
	must(err, "queue.declare")
	replies, err := client.Consume(replyQ.Name, "", true, false, false, false, nil)
	must(err, "basic.consume")
	for _, n := range []int{2, 3, 12} {
		must(client.Publish("", rq.Name, false, false, amqp.Publishing{
			Body: []byte(strconv.Itoa(n)), ReplyTo: replyQ.Name, CorrelationId: fmt.Sprintf("c%d", n)}), "publish")
	}
	answers := map[string]string{}
	for i := 0; i < 3; i++ {
		d := next(replies, "three replies")
		answers[d.CorrelationId] = string(d.Body)
	}
	check(reflect.DeepEqual(answers, map[string]string{"c2": "4", "c3": "9", "c12": "144"}), "answers %v", answers)
	return "3 calls answered on an exclusive reply queue, matched by correlation_id"
}

func sRPCDirectReplyTo(conn *amqp.Connection) string {
	server := channel(conn)
	rq, err := server.QueueDeclare(prefix+".drpc", false, false, true, false, nil)
	must(err, "queue.declare")
	requests, err := server.Consume(rq.Name, "", false, false, false, false, nil)
	must(err, "basic.consume")
	seen := make(chan string, 1)
	go func() {
		for d := range requests {
			seen <- d.ReplyTo
			_ = server.Publish("", d.ReplyTo, false, false, amqp.Publishing{Body: append([]byte("re:"), d.Body...), CorrelationId: d.CorrelationId})
			_ = d.Ack(false)
		}
	}()
	client := channel(conn)
	replies, err := client.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
	must(err, "basic.consume amq.rabbitmq.reply-to")
	must(client.Publish("", rq.Name, false, false, amqp.Publishing{Body: []byte("ping"), ReplyTo: "amq.rabbitmq.reply-to", CorrelationId: "d1"}), "publish")
	d := next(replies, "the direct reply")
	replyTo := <-seen
	check(strings.HasPrefix(replyTo, "amq.rabbitmq.reply-to."), "server saw reply_to %q", replyTo)
	check(d.CorrelationId == "d1" && string(d.Body) == "re:ping", "reply %s/%s", d.CorrelationId, d.Body)
	return "reply via amq.rabbitmq.reply-to"
}

func sDeadLetter(conn *amqp.Connection) string {
	ch := channel(conn)
	dlx, dlq, q := prefix+".dlx", prefix+".dlq", prefix+".dlwork"
	must(ch.ExchangeDeclare(dlx, "direct", false, false, false, false, nil), "exchange.declare")
	_, err := ch.QueueDeclare(dlq, false, false, true, false, nil)
	must(err, "queue.declare")
	must(ch.QueueBind(dlq, "dead", dlx, false, nil), "queue.bind")
	_, err = ch.QueueDeclare(q, false, false, true, false, amqp.Table{"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead"})
	must(err, "queue.declare with x-dead-letter-exchange")
	must(ch.Publish("", q, false, false, amqp.Publishing{Body: []byte("doomed")}), "publish")
	m := get(ch, q, false)
	must(m.Reject(false), "basic.reject")
	d := get(ch, dlq, true)
	deaths, _ := d.Headers["x-death"].([]interface{})
	check(len(deaths) == 1, "x-death %v", d.Headers["x-death"])
	death, _ := deaths[0].(amqp.Table)
	check(string(d.Body) == "doomed" && death["reason"] == "rejected" && death["queue"] == q && death["count"] == int64(1),
		"dead-lettered %s with x-death %v", d.Body, death)
	must(ch.ExchangeDelete(dlx, false, false), "exchange.delete")
	return fmt.Sprintf("rejected -> %s, x-death reason %v, count %v", dlx, death["reason"], death["count"])
}

func sCleanClose() string {
	conn, err := dial()
	must(err, "dial")
	ch := channel(conn)
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	must(ch.Close(), "channel.close")
	must(conn.Close(), "connection.close")
	e, open := <-closed
	check(!open && e == nil && conn.IsClosed(), "close reported %v", e)
	return "channel.close-ok and connection.close-ok received"
}

// withConn runs fn on a fresh connection, then closes it: a failing close fails the scenario too.
func withConn(fn func(*amqp.Connection) string) func() string {
	return func() string {
		conn, err := dial()
		must(err, "dial")
		closed := false
		defer func() {
			if !closed {
				conn.Close()
			}
		}()
		result := fn(conn)
		closed = true
		must(conn.Close(), "connection.close")
		return result
	}
}

type result struct {
	Scenario string `json:"scenario"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail"`
}

func run(name string, fn func() string) {
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{name, false, fmt.Sprint(r)}
			}
		}()
		done <- result{name, true, fn()}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		r = result{name, false, "timed out after 20 s"}
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}

func main() {
	run("connect", sConnect)
	run("topology", withConn(sTopology))
	run("publish_consume_ack", withConn(sPublishConsumeAck))
	run("confirm_mandatory_return", withConn(sConfirmMandatoryReturn))
	run("topic_routing", withConn(sTopicRouting))
	run("nack_requeue", withConn(sNackRequeue))
	run("large_message", withConn(sLargeMessage))
	run("rpc_reply_to", withConn(sRPCReplyTo))
	run("rpc_direct_reply_to", withConn(sRPCDirectReplyTo))
	run("dead_letter", withConn(sDeadLetter))
	run("clean_close", sCleanClose)
}
