// Client matrix scenarios for the RabbitMQ Java client (Debian's librabbitmq-client-java).
// Compiled with javac against /usr/share/java/amqp-client.jar. Usage: java Scenarios AMQP_URL
// Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
import com.rabbitmq.client.*;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.*;
import java.util.concurrent.*;

public class Scenarios {
    static final int HEARTBEAT = 7;
    static String url;
    static final String P = "cm.java." + ProcessHandle.current().pid();

    interface Scenario { String run() throws Exception; }
    interface WithConnection { String run(Connection conn) throws Exception; }

    static Connection connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(url);
        f.setRequestedHeartbeat(HEARTBEAT);
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection();
    }

    static void check(boolean cond, String what) {
        if (!cond) throw new AssertionError(what);
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
    static String str(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    static <T> T poll(BlockingQueue<T> q, String what) throws InterruptedException {
        T v = q.poll(5, TimeUnit.SECONDS);
        if (v == null) throw new AssertionError("timed out waiting for " + what);
        return v;
    }

    /** basic.get, retried briefly: a publish is asynchronous. */
    static GetResponse get(Channel ch, String q, boolean autoAck) throws Exception {
        for (int i = 0; i < 500; i++) {
            GetResponse r = ch.basicGet(q, autoAck);
            if (r != null) return r;
            Thread.sleep(10);
        }
        throw new AssertionError("queue " + q + " stayed empty");
    }

    /** A consumer that puts every delivery on a queue. */
    static BlockingQueue<Delivery> consume(Channel ch, String queue, boolean autoAck) throws Exception {
        BlockingQueue<Delivery> out = new LinkedBlockingQueue<>();
        ch.basicConsume(queue, autoAck, (tag, d) -> out.add(d), tag -> {});
        return out;
    }

    static String connectScenario() throws Exception {
        Connection conn = connect();
        int hb = conn.getHeartbeat();
        Object product = conn.getServerProperties().get("product");
        conn.close();
        check(hb == HEARTBEAT, "negotiated heartbeat " + hb + ", expected " + HEARTBEAT);
        return "heartbeat " + hb + ", server " + product;
    }

    static String topology(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String x = P + ".topo.x", q = P + ".topo.q";
        ch.exchangeDeclare(x, "direct", false);
        AMQP.Queue.DeclareOk ok = ch.queueDeclare(q, false, false, false, null);
        check(ok.getQueue().equals(q) && ok.getMessageCount() == 0, "declare-ok " + ok);
        ch.queueBind(q, x, "k");
        String anon = ch.queueDeclare().getQueue();
        check(anon.startsWith("amq.gen-"), "server-named queue " + anon);
        ch.basicPublish(x, "k", null, utf8("via binding"));
        GetResponse r = get(ch, q, true);
        check(str(r.getBody()).equals("via binding"), "got " + str(r.getBody()));
        ch.queueUnbind(q, x, "k");
        ch.queueDeclarePassive(q);
        ch.queueDelete(q);
        ch.exchangeDelete(x);
        return "exchange, queue, binding, server-named queue, unbind, delete";
    }

    static String publishConsumeAck(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String q = P + ".work";
        ch.queueDeclare(q, true, false, false, null);
        for (int i = 0; i < 10; i++) {
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .deliveryMode(2).contentType("text/plain").headers(Map.of("n", i)).build();
            ch.basicPublish("", q, props, utf8("m" + i));
        }
        ch.basicQos(5);
        BlockingQueue<Delivery> msgs = consume(ch, q, false);
        List<String> got = new ArrayList<>(), want = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Delivery d = poll(msgs, "10 deliveries");
            got.add(str(d.getBody()) + ":" + d.getProperties().getHeaders().get("n") + ":" + d.getProperties().getContentType());
            want.add("m" + i + ":" + i + ":text/plain");
            ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }
        check(got.equals(want), "got " + got);
        Thread.sleep(50);
        int left = conn.createChannel().queueDeclarePassive(q).getMessageCount();
        check(left == 0, "queue still holds " + left);
        ch.queueDelete(q);
        return "10 messages in order, acked, queue empty";
    }

    static String confirmMandatoryReturn(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        String q = ch.queueDeclare().getQueue();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        ch.addReturnListener((code, text, exchange, key, props, body) -> events.add("return:" + code + ":" + text + ":" + key + ":" + str(body)));
        ch.addConfirmListener((tag, multiple) -> events.add("ack:" + tag), (tag, multiple) -> events.add("nack:" + tag));
        ch.basicPublish("", q, true, null, utf8("routed"));
        ch.waitForConfirmsOrDie(5000);
        ch.basicPublish("", P + ".nowhere", true, null, utf8("lost"));
        ch.waitForConfirmsOrDie(5000);
        List<String> want = List.of("ack:1", "return:312:NO_ROUTE:" + P + ".nowhere:lost", "ack:2");
        check(events.equals(want), "events " + events);
        return "routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE, then confirmed";
    }

    static String topicRouting(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String x = P + ".topic";
        ch.exchangeDeclare(x, "topic", false);
        String qa = ch.queueDeclare().getQueue(), qb = ch.queueDeclare().getQueue();
        ch.queueBind(qa, x, "*.orange.*");
        ch.queueBind(qb, x, "*.*.rabbit");
        ch.queueBind(qb, x, "lazy.#");
        BlockingQueue<Delivery> da = consume(ch, qa, true), db = consume(ch, qb, true);
        for (String k : List.of("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy",
                "quick.brown.fox", "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit")) {
            ch.basicPublish(x, k, null, utf8(k));
        }
        List<String> wantA = List.of("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox");
        List<String> wantB = List.of("quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy", "lazy.orange.new.rabbit");
        List<String> gotA = new ArrayList<>(), gotB = new ArrayList<>();
        for (int i = 0; i < wantA.size(); i++) gotA.add(poll(da, "*.orange.* deliveries").getEnvelope().getRoutingKey());
        for (int i = 0; i < wantB.size(); i++) gotB.add(poll(db, "*.*.rabbit / lazy.# deliveries").getEnvelope().getRoutingKey());
        Thread.sleep(100);
        check(da.isEmpty() && db.isEmpty(), "extra deliveries");
        check(gotA.equals(wantA) && gotB.equals(wantB), "got " + gotA + " and " + gotB);
        ch.exchangeDelete(x);
        return "*.orange.* got 3, *.*.rabbit + lazy.# got 5";
    }

    static String nackRequeue(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        ch.basicPublish("", q, null, utf8("again"));
        BlockingQueue<Delivery> msgs = consume(ch, q, false);
        Delivery first = poll(msgs, "the message");
        ch.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
        Delivery second = poll(msgs, "the redelivery");
        ch.basicAck(second.getEnvelope().getDeliveryTag(), false);
        check(!first.getEnvelope().isRedeliver() && second.getEnvelope().isRedeliver() && str(second.getBody()).equals("again"),
            "redelivered flags " + first.getEnvelope().isRedeliver() + " " + second.getEnvelope().isRedeliver());
        Thread.sleep(50);
        int left = conn.createChannel().queueDeclarePassive(q).getMessageCount();
        check(left == 0, "queue still holds " + left);
        return "nacked with requeue, redelivered with redelivered=true, acked";
    }

    static String largeMessage(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String q = ch.queueDeclare().getQueue();
        byte[] body = new byte[1024 * 1024];
        for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31 + 7);
        ch.basicPublish("", q, null, body);
        BlockingQueue<Delivery> msgs = consume(ch, q, false);
        Delivery d = poll(msgs, "the 1 MB message");
        ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(d.getBody()));
        check(Arrays.equals(d.getBody(), body), "got " + d.getBody().length + " bytes, sha256 " + sha);
        return "1048576 bytes, sha256 " + sha.substring(0, 12) + "...";
    }

    static String rpcReplyTo(Connection conn) throws Exception {
        Channel server = conn.createChannel();
        String rq = server.queueDeclare(P + ".rpc", false, true, false, null).getQueue();
        server.basicConsume(rq, false, (tag, d) -> {
            int n = Integer.parseInt(str(d.getBody()));
            server.basicPublish("", d.getProperties().getReplyTo(),
                new AMQP.BasicProperties.Builder().correlationId(d.getProperties().getCorrelationId()).build(), utf8(String.valueOf(n * n)));
            server.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }, tag -> {});
        Channel client = conn.createChannel();
        String replyTo = client.queueDeclare().getQueue();
        BlockingQueue<Delivery> replies = consume(client, replyTo, true);
        for (int n : new int[] {2, 3, 12}) {
            client.basicPublish("", rq, new AMQP.BasicProperties.Builder().replyTo(replyTo).correlationId("c" + n).build(), utf8(String.valueOf(n)));
        }
        Map<String, String> answers = new TreeMap<>();
        for (int i = 0; i < 3; i++) {
            Delivery d = poll(replies, "three replies");
            answers.put(d.getProperties().getCorrelationId(), str(d.getBody()));
        }
        check(answers.equals(Map.of("c2", "4", "c3", "9", "c12", "144")), "answers " + answers);
        return "3 calls answered on an exclusive reply queue, matched by correlation_id";
    }

    static String rpcDirectReplyTo(Connection conn) throws Exception {
        Channel server = conn.createChannel();
        String rq = server.queueDeclare(P + ".drpc", false, true, false, null).getQueue();
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        server.basicConsume(rq, false, (tag, d) -> {
            seen.add(d.getProperties().getReplyTo());
            server.basicPublish("", d.getProperties().getReplyTo(),
                new AMQP.BasicProperties.Builder().correlationId(d.getProperties().getCorrelationId()).build(), utf8("re:" + str(d.getBody())));
            server.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }, tag -> {});
        Channel client = conn.createChannel();
        BlockingQueue<Delivery> replies = consume(client, "amq.rabbitmq.reply-to", true);
        client.basicPublish("", rq, new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to").correlationId("d1").build(), utf8("ping"));
        Delivery d = poll(replies, "the direct reply");
        String replyTo = poll(seen, "the request");
        check(replyTo.startsWith("amq.rabbitmq.reply-to."), "server saw reply_to " + replyTo);
        check("d1".equals(d.getProperties().getCorrelationId()) && str(d.getBody()).equals("re:ping"),
            "reply " + d.getProperties().getCorrelationId() + "/" + str(d.getBody()));
        return "reply via amq.rabbitmq.reply-to";
    }

    @SuppressWarnings("unchecked")
    static String deadLetter(Connection conn) throws Exception {
        Channel ch = conn.createChannel();
        String dlx = P + ".dlx", dlq = P + ".dlq", q = P + ".dlwork";
        ch.exchangeDeclare(dlx, "direct", false);
        ch.queueDeclare(dlq, false, true, false, null);
        ch.queueBind(dlq, dlx, "dead");
        ch.queueDeclare(q, false, true, false, Map.of("x-dead-letter-exchange", dlx, "x-dead-letter-routing-key", "dead"));
        ch.basicPublish("", q, null, utf8("doomed"));
        GetResponse m = get(ch, q, false);
        ch.basicReject(m.getEnvelope().getDeliveryTag(), false);
        GetResponse d = get(ch, dlq, true);
        Map<String, Object> headers = d.getProps().getHeaders();
        List<Map<String, Object>> deaths = headers == null ? List.of() : (List<Map<String, Object>>) headers.get("x-death");
        check(deaths != null && deaths.size() == 1, "x-death " + headers);
        Map<String, Object> death = deaths.get(0);
        check(str(d.getBody()).equals("doomed") && String.valueOf(death.get("reason")).equals("rejected")
                && String.valueOf(death.get("queue")).equals(q) && Long.valueOf(1).equals(death.get("count")),
            "dead-lettered " + str(d.getBody()) + " with x-death " + death);
        ch.exchangeDelete(dlx);
        return "rejected -> " + dlx + ", x-death reason " + death.get("reason") + ", count " + death.get("count");
    }

    static String cleanClose() throws Exception {
        Connection conn = connect();
        Channel ch = conn.createChannel();
        ch.close();
        check(!ch.isOpen(), "channel still open");
        conn.close(5000);
        ShutdownSignalException cause = conn.getCloseReason();
        check(!conn.isOpen() && cause != null && cause.isInitiatedByApplication(), "close reason " + cause);
        return "channel.close-ok and connection.close-ok received";
    }

    /** Runs fn on a fresh connection, then closes it: a failing close fails the scenario too. */
    static Scenario withConn(WithConnection fn) {
        return () -> {
            Connection conn = connect();
            String result;
            try {
                result = fn.run(conn);
            } catch (Exception | AssertionError e) {
                conn.abort(2000);
                throw e;
            }
            conn.close(5000);
            return result;
        };
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        url = args[0];
        LinkedHashMap<String, Scenario> scenarios = new LinkedHashMap<>();
        scenarios.put("connect", Scenarios::connectScenario);
        scenarios.put("topology", withConn(Scenarios::topology));
        scenarios.put("publish_consume_ack", withConn(Scenarios::publishConsumeAck));
        scenarios.put("confirm_mandatory_return", withConn(Scenarios::confirmMandatoryReturn));
        scenarios.put("topic_routing", withConn(Scenarios::topicRouting));
        scenarios.put("nack_requeue", withConn(Scenarios::nackRequeue));
        scenarios.put("large_message", withConn(Scenarios::largeMessage));
        scenarios.put("rpc_reply_to", withConn(Scenarios::rpcReplyTo));
        scenarios.put("rpc_direct_reply_to", withConn(Scenarios::rpcDirectReplyTo));
        scenarios.put("dead_letter", withConn(Scenarios::deadLetter));
        scenarios.put("clean_close", Scenarios::cleanClose);
        ExecutorService pool = Executors.newCachedThreadPool(r -> { Thread t = new Thread(r); t.setDaemon(true); return t; });
        for (Map.Entry<String, Scenario> e : scenarios.entrySet()) {
            boolean ok;
            String detail;
            Future<String> f = pool.submit(() -> e.getValue().run());
            try {
                detail = f.get(20, TimeUnit.SECONDS);
                ok = true;
            } catch (TimeoutException t) {
                f.cancel(true);
                ok = false;
                detail = "timed out after 20 s";
            } catch (ExecutionException x) {
                ok = false;
                detail = x.getCause().getClass().getSimpleName() + ": " + x.getCause().getMessage();
            }
            System.out.println("{\"scenario\":" + json(e.getKey()) + ",\"ok\":" + ok + ",\"detail\":" + json(detail) + "}");
            System.out.flush();
        }
        System.exit(0);
    }
}
