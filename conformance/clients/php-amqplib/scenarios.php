<?php
// Client matrix scenarios for php-amqplib (Debian's php-amqplib). Usage: php scenarios.php AMQP_URL
// Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
require_once '/usr/share/php/PhpAmqpLib/autoload.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

const HEARTBEAT = 7;
$URL = $argv[1];
$P = 'cm.php.' . getmypid();

function connect()
{
    global $URL;
    $u = parse_url($URL);
    $path = isset($u['path']) ? substr($u['path'], 1) : '';
    $vhost = $path === '' ? '/' : rawurldecode($path);
    // php-amqplib logs in with AMQPLAIN by default; read_write_timeout must be at least twice the heartbeat.
    return new AMQPStreamConnection(
        $u['host'], $u['port'] ?? 5672, rawurldecode($u['user'] ?? 'guest'), rawurldecode($u['pass'] ?? 'guest'), $vhost,
        false, 'AMQPLAIN', null, 'en_US', 5.0, 2 * HEARTBEAT + 1, null, false, HEARTBEAT
    );
}

function check($cond, $what)
{
    if (!$cond) {
        throw new RuntimeException($what);
    }
}

/** Handles incoming frames until $pred() holds, waiting on each given channel in turn. */
function until(callable $pred, array $channels, $what, $timeout = 5.0)
{
    $end = microtime(true) + $timeout;
    while (!$pred()) {
        if (microtime(true) > $end) {
            throw new RuntimeException("timed out waiting for $what");
        }
        foreach ($channels as $ch) {
            try {
                $ch->wait(null, false, 0.02);
            } catch (AMQPTimeoutException $e) {
            }
        }
    }
}

/** basic.get, retried briefly: a publish is asynchronous. */
function get($ch, $queue, $noAck = false)
{
    for ($i = 0; $i < 500; $i++) {
        $m = $ch->basic_get($queue, $noAck);
        if ($m !== null) {
            return $m;
        }
        usleep(10000);
    }
    throw new RuntimeException("queue $queue stayed empty");
}

function s_connect()
{
    $conn = connect();
    $hb = $conn->getHeartbeat();
    $props = $conn->getServerProperties();
    $product = is_array($props['product'] ?? null) ? $props['product'][1] : ($props['product'] ?? '?');
    $conn->close();
    check($hb == HEARTBEAT, "negotiated heartbeat $hb, expected " . HEARTBEAT);
    return "heartbeat $hb, server $product (AMQPLAIN login)";
}

function s_topology($conn)
{
    global $P;
    $ch = $conn->channel();
    $x = "$P.topo.x";
    $q = "$P.topo.q";
    $ch->exchange_declare($x, 'direct', false, false, false);
    [$name, $count] = $ch->queue_declare($q, false, false, false, false);
    check($name === $q && $count === 0, "declare-ok $name $count");
    $ch->queue_bind($q, $x, 'k');
    [$anon] = $ch->queue_declare('', false, false, true, true);
    check(strpos($anon, 'amq.gen-') === 0, "server-named queue $anon");
    $ch->basic_publish(new AMQPMessage('via binding'), $x, 'k');
    $m = get($ch, $q, true);
    check($m->getBody() === 'via binding', 'got ' . $m->getBody());
    $ch->queue_unbind($q, $x, 'k');
    $ch->queue_declare($q, true);
    $ch->queue_delete($q);
    $ch->exchange_delete($x);
    return 'exchange, queue, binding, server-named queue, unbind, delete';
}

function s_publish_consume_ack($conn)
{
    global $P;
    $ch = $conn->channel();
    $q = "$P.work";
    $ch->queue_declare($q, false, true, false, false);
    for ($i = 0; $i < 10; $i++) {
        $ch->basic_publish(new AMQPMessage("m$i", [
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT, 'content_type' => 'text/plain',
            'application_headers' => new AMQPTable(['n' => $i]),
        ]), '', $q);
    }
    $ch->basic_qos(0, 5, false);
    $got = [];
    $ch->basic_consume($q, '', false, false, false, false, function ($m) use (&$got) {
        $n = $m->get('application_headers')->getNativeData()['n'];
        $got[] = $m->getBody() . ":$n:" . $m->get('content_type');
        $m->ack();
    });
    until(function () use (&$got) { return count($got) >= 10; }, [$ch], '10 deliveries');
    $want = [];
    for ($i = 0; $i < 10; $i++) {
        $want[] = "m$i:$i:text/plain";
    }
    check($got === $want, 'got ' . json_encode($got));
    usleep(50000);
    [, $left] = $conn->channel()->queue_declare($q, true);
    check($left === 0, "queue still holds $left");
    $ch->queue_delete($q);
    return '10 messages in order, acked, queue empty';
}

function s_confirm_mandatory_return($conn)
{
    global $P;
    $ch = $conn->channel();
    $ch->confirm_select();
    [$q] = $ch->queue_declare('', false, false, true, true);
    $events = [];
    $ch->set_ack_handler(function ($m) use (&$events) { $events[] = 'ack:' . $m->getBody(); });
    $ch->set_nack_handler(function ($m) use (&$events) { $events[] = 'nack:' . $m->getBody(); });
    $ch->set_return_listener(function ($code, $text, $exchange, $key, $m) use (&$events) {
        $events[] = "return:$code:$text:$key:" . $m->getBody();
    });
    $ch->basic_publish(new AMQPMessage('routed'), '', $q, true);
    $ch->wait_for_pending_acks_returns(5);
    $ch->basic_publish(new AMQPMessage('lost'), '', "$P.nowhere", true);
    $ch->wait_for_pending_acks_returns(5);
    $want = ['ack:routed', "return:312:NO_ROUTE:$P.nowhere:lost", 'ack:lost'];
    check($events === $want, 'events ' . json_encode($events));
    return 'routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE, then confirmed';
}

function s_topic_routing($conn)
{
    global $P;
    $ch = $conn->channel();
    $x = "$P.topic";
    $ch->exchange_declare($x, 'topic', false, false, false);
    [$qa] = $ch->queue_declare('', false, false, true, true);
    [$qb] = $ch->queue_declare('', false, false, true, true);
    $ch->queue_bind($qa, $x, '*.orange.*');
    $ch->queue_bind($qb, $x, '*.*.rabbit');
    $ch->queue_bind($qb, $x, 'lazy.#');
    $got = ['a' => [], 'b' => []];
    $ch->basic_consume($qa, '', false, true, false, false, function ($m) use (&$got) { $got['a'][] = $m->getRoutingKey(); });
    $ch->basic_consume($qb, '', false, true, false, false, function ($m) use (&$got) { $got['b'][] = $m->getRoutingKey(); });
    foreach (['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox', 'lazy',
                 'quick.brown.fox', 'orange', 'quick.orange.new.rabbit', 'lazy.orange.new.rabbit'] as $k) {
        $ch->basic_publish(new AMQPMessage($k), $x, $k);
    }
    $want = ['a' => ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox'],
             'b' => ['quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy', 'lazy.orange.new.rabbit']];
    until(function () use (&$got) { return count($got['a']) >= 3 && count($got['b']) >= 5; }, [$ch], 'topic deliveries');
    try {
        $ch->wait(null, false, 0.1);
    } catch (AMQPTimeoutException $e) {
    }
    check($got === $want, 'got ' . json_encode($got));
    $ch->exchange_delete($x);
    return '*.orange.* got 3, *.*.rabbit + lazy.# got 5';
}

function s_nack_requeue($conn)
{
    $ch = $conn->channel();
    [$q] = $ch->queue_declare('', false, false, true, true);
    $ch->basic_publish(new AMQPMessage('again'), '', $q);
    $seen = [];
    $ch->basic_consume($q, '', false, false, false, false, function ($m) use (&$seen) {
        $seen[] = $m->isRedelivered();
        if (count($seen) === 1) {
            $m->nack(true);
        } else {
            $m->ack();
        }
    });
    until(function () use (&$seen) { return count($seen) >= 2; }, [$ch], 'the redelivery');
    check($seen === [false, true], 'redelivered flags ' . json_encode($seen));
    usleep(50000);
    [, $left] = $conn->channel()->queue_declare($q, true);
    check($left === 0, "queue still holds $left");
    return 'nacked with requeue, redelivered with redelivered=true, acked';
}

function s_large_message($conn)
{
    $ch = $conn->channel();
    [$q] = $ch->queue_declare('', false, false, true, true);
    $body = '';
    for ($i = 0; $i < 1024 * 1024; $i++) {
        $body .= chr(($i * 31 + 7) & 0xff);
    }
    $ch->basic_publish(new AMQPMessage($body), '', $q);
    $got = null;
    $ch->basic_consume($q, '', false, false, false, false, function ($m) use (&$got) {
        $got = $m->getBody();
        $m->ack();
    });
    until(function () use (&$got) { return $got !== null; }, [$ch], 'the 1 MB message', 10);
    $sha = hash('sha256', $got);
    check($got === $body, 'got ' . strlen($got) . " bytes, sha256 $sha");
    return '1048576 bytes, sha256 ' . substr($sha, 0, 12) . '...';
}

function s_rpc_reply_to($conn)
{
    global $P;
    $server = $conn->channel();
    [$rq] = $server->queue_declare("$P.rpc", false, false, true, true);
    $server->basic_consume($rq, '', false, false, false, false, function ($m) use ($server) {
        $n = (int) $m->getBody();
        $server->basic_publish(new AMQPMessage((string) ($n * $n), ['correlation_id' => $m->get('correlation_id')]), '', $m->get('reply_to'));
        $m->ack();
    });
    $client = $conn->channel();
    [$replyTo] = $client->queue_declare('', false, false, true, true);
    $answers = [];
    $client->basic_consume($replyTo, '', false, true, false, false, function ($m) use (&$answers) {
        $answers[$m->get('correlation_id')] = $m->getBody();
    });
    foreach ([2, 3, 12] as $n) {
        $client->basic_publish(new AMQPMessage((string) $n, ['reply_to' => $replyTo, 'correlation_id' => "c$n"]), '', $rq);
    }
    until(function () use (&$answers) { return count($answers) >= 3; }, [$server, $client], 'three replies');
    ksort($answers);
    check($answers === ['c12' => '144', 'c2' => '4', 'c3' => '9'], 'answers ' . json_encode($answers));
    return '3 calls answered on an exclusive reply queue, matched by correlation_id';
}

function s_rpc_direct_reply_to($conn)
{
    global $P;
    $server = $conn->channel();
    [$rq] = $server->queue_declare("$P.drpc", false, false, true, true);
    $seen = null;
    $server->basic_consume($rq, '', false, false, false, false, function ($m) use ($server, &$seen) {
        $seen = $m->get('reply_to');
        $server->basic_publish(new AMQPMessage('re:' . $m->getBody(), ['correlation_id' => $m->get('correlation_id')]), '', $seen);
        $m->ack();
    });
    $client = $conn->channel();
    $reply = null;
    $client->basic_consume('amq.rabbitmq.reply-to', '', false, true, false, false, function ($m) use (&$reply) {
        $reply = $m->get('correlation_id') . '/' . $m->getBody();
    });
    $client->basic_publish(new AMQPMessage('ping', ['reply_to' => 'amq.rabbitmq.reply-to', 'correlation_id' => 'd1']), '', $rq);
    until(function () use (&$reply) { return $reply !== null; }, [$server, $client], 'the direct reply');
    check(strpos((string) $seen, 'amq.rabbitmq.reply-to.') === 0, "server saw reply_to $seen");
    check($reply === 'd1/re:ping', "reply $reply");
    return 'reply via amq.rabbitmq.reply-to';
}

function s_dead_letter($conn)
{
    global $P;
    $ch = $conn->channel();
    $dlx = "$P.dlx";
    $dlq = "$P.dlq";
    $q = "$P.dlwork";
    $ch->exchange_declare($dlx, 'direct', false, false, false);
    $ch->queue_declare($dlq, false, false, true, false);
    $ch->queue_bind($dlq, $dlx, 'dead');
    $ch->queue_declare($q, false, false, true, false, false,
        new AMQPTable(['x-dead-letter-exchange' => $dlx, 'x-dead-letter-routing-key' => 'dead']));
    $ch->basic_publish(new AMQPMessage('doomed'), '', $q);
    $m = get($ch, $q);
    $m->reject(false);
    $d = get($ch, $dlq, true);
    $headers = $d->has('application_headers') ? $d->get('application_headers')->getNativeData() : [];
    $death = $headers['x-death'][0] ?? [];
    check($d->getBody() === 'doomed' && ($death['reason'] ?? null) === 'rejected' && ($death['queue'] ?? null) === $q
        && ($death['count'] ?? null) === 1, 'dead-lettered ' . $d->getBody() . ' with x-death ' . json_encode($death));
    $ch->exchange_delete($dlx);
    return "rejected -> $dlx, x-death reason {$death['reason']}, count {$death['count']}";
}

function s_clean_close()
{
    $conn = connect();
    $ch = $conn->channel();
    $ch->close();
    check(!$ch->is_open(), 'channel still open');
    $conn->close();
    check(!$conn->isConnected(), 'connection still open');
    return 'channel.close-ok and connection.close-ok received';
}

/** Runs $fn on a fresh connection, then closes it: a failing close fails the scenario too. */
function with_conn($fn)
{
    return function () use ($fn) {
        $conn = connect();
        try {
            $result = $fn($conn);
        } catch (Throwable $e) {
            try {
                $conn->close();
            } catch (Throwable $ignored) {
            }
            throw $e;
        }
        $conn->close();
        return $result;
    };
}

$scenarios = [
    'connect' => 's_connect',
    'topology' => with_conn('s_topology'),
    'publish_consume_ack' => with_conn('s_publish_consume_ack'),
    'confirm_mandatory_return' => with_conn('s_confirm_mandatory_return'),
    'topic_routing' => with_conn('s_topic_routing'),
    'nack_requeue' => with_conn('s_nack_requeue'),
    'large_message' => with_conn('s_large_message'),
    'rpc_reply_to' => with_conn('s_rpc_reply_to'),
    'rpc_direct_reply_to' => with_conn('s_rpc_direct_reply_to'),
    'dead_letter' => with_conn('s_dead_letter'),
    'clean_close' => 's_clean_close',
];

foreach ($scenarios as $name => $fn) {
    try {
        $line = ['scenario' => $name, 'ok' => true, 'detail' => $fn()];
    } catch (Throwable $e) {
        $line = ['scenario' => $name, 'ok' => false, 'detail' => get_class($e) . ': ' . $e->getMessage()];
    }
    echo json_encode($line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
}
