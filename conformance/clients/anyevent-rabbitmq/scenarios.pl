#!/usr/bin/perl
# Client matrix scenarios for AnyEvent::RabbitMQ (Debian's libanyevent-rabbitmq-perl, on Net::AMQP).
# Usage: perl scenarios.pl AMQP_URL. Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
use strict;
use warnings;
use AnyEvent;
use AnyEvent::RabbitMQ;
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use Scalar::Util ();

my $URL = shift @ARGV or die "usage: $0 AMQP_URL\n";
my $P = "cm.perl.$$";
my $HEARTBEAT = 7;
my $JSON = JSON::PP->new->canonical->ascii;

# The library keeps the negotiated tune values to itself: note the heartbeat it sends in connection.tune-ok.
my $tuned_heartbeat;
{
    no warnings 'redefine';
    my $orig = \&AnyEvent::RabbitMQ::_push_write;
    *AnyEvent::RabbitMQ::_push_write = sub {
        my ($self, $output) = @_;
        $tuned_heartbeat = $output->heartbeat
            if ref($output) && $output->isa('Net::AMQP::Protocol::Connection::TuneOk');
        goto &$orig;
    };
}

sub uri_unescape { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge; return $s }

sub describe {
    my $why = shift;
    return "$why" unless ref $why;
    if (ref($why) ne 'HASH' && ref($why) ne 'ARRAY' && $why->can('method_frame')) {
        my $m = $why->method_frame;
        return ref($m) . ($m->can('reply_code') ? ' ' . $m->reply_code . ' ' . $m->reply_text : '');
    }
    return ref($why) if Scalar::Util::blessed($why);
    return $JSON->encode($why);
}

# Calls $obj->$method(%args, on_success, on_failure) and waits for the outcome.
sub call {
    my ($obj, $method, %args) = @_;
    my $cv = AnyEvent->condvar;
    my $t = AnyEvent->timer(after => 5, cb => sub { $cv->croak("$method timed out\n") });
    $obj->$method(%args,
        on_success => sub { $cv->send(@_) },
        on_failure => sub {
            my @why = ref($_[0]) eq 'AnyEvent::Handle' ? ($_[2]) : @_;  # a socket error: (handle, fatal, message)
            $cv->croak("$method failed: " . join(' ', map { describe($_) } @why) . "\n");
        });
    return $cv->recv;
}

# Runs the event loop until $pred->() holds.
sub wait_until {
    my ($pred, $what, $timeout) = @_;
    my $cv = AnyEvent->condvar;
    my $end = AnyEvent->now + ($timeout || 5);
    my $w = AnyEvent->timer(after => 0, interval => 0.005, cb => sub {
        if ($pred->()) { $cv->send(1) } elsif (AnyEvent->now > $end) { $cv->send(0) }
    });
    $cv->recv or die "timed out waiting for $what\n";
}

sub pause { my $cv = AnyEvent->condvar; my $t = AnyEvent->timer(after => shift, cb => sub { $cv->send }); $cv->recv }

sub check { my ($cond, $what) = @_; die "$what\n" unless $cond }

sub connect_broker {
    my ($user, $pass, $host, $port, $path) = $URL =~ m{^amqp://(?:([^:@]*)(?::([^@]*))?@)?([^:/?]+)(?::(\d+))?(?:/([^?]*))?}
        or die "cannot parse $URL\n";
    my $ar = AnyEvent::RabbitMQ->new->load_xml_spec();
    my $started = 0;
    my $ok = eval {
        call($ar, 'connect',
            host => $host, port => $port || 5672,
            user => uri_unescape($user // 'guest'), pass => uri_unescape($pass // 'guest'),
            vhost => (defined $path && $path ne '') ? uri_unescape($path) : '/',
            timeout => 5, tune => { heartbeat => $HEARTBEAT },
            on_close => sub { }, on_read_failure => sub { });
        1;
    };
    return $ar if $ok;
    my $err = $@;
    # Say which protocol header this client opens with when the broker drops it before connection.start.
    if (!%{ $ar->server_properties || {} }) {
        my $header = join ' ', unpack('a4 C4', Net::AMQP::Protocol->header);
        $err =~ s/\s+at \S+ line \d+\.?\s*$//;
        $err .= " (before connection.start; this client sends the protocol header '$header')\n";
    }
    die $err;
}

sub channel { my $ar = shift; return call($ar, 'open_channel', on_close => sub { }) }

sub declare_queue { my ($ch, %args) = @_; return call($ch, 'declare_queue', %args)->method_frame }

# basic.get, retried briefly: a publish is asynchronous.
sub get {
    my ($ch, $queue, $no_ack) = @_;
    for (1 .. 500) {
        my $r = call($ch, 'get', queue => $queue, no_ack => $no_ack ? 1 : 0);
        return $r unless $r->{empty};
        pause(0.01);
    }
    die "queue $queue stayed empty\n";
}

sub consume {
    my ($ch, $queue, $no_ack, $cb) = @_;
    call($ch, 'consume', queue => $queue, no_ack => $no_ack, on_consume => $cb);
}

sub tag_of { shift->{deliver}->method_frame->delivery_tag }
sub body_of { my $b = shift->{body}; return defined $b ? $b->payload : '' }

sub s_connect {
    my $ar = connect_broker();
    my $product = $ar->server_properties->{product};
    call($ar, 'close');
    check(defined $tuned_heartbeat && $tuned_heartbeat == $HEARTBEAT, "negotiated heartbeat " . ($tuned_heartbeat // 'none') . ", expected $HEARTBEAT");
    return "heartbeat $tuned_heartbeat, server $product (AMQPLAIN login)";
}

sub s_topology {
    my $ar = shift;
    my $ch = channel($ar);
    my ($x, $q) = ("$P.topo.x", "$P.topo.q");
    call($ch, 'declare_exchange', exchange => $x, type => 'direct');
    my $ok = declare_queue($ch, queue => $q);
    check($ok->queue eq $q && $ok->message_count == 0, "declare-ok " . $ok->queue);
    call($ch, 'bind_queue', queue => $q, exchange => $x, routing_key => 'k');
    my $anon = declare_queue($ch, queue => '', exclusive => 1)->queue;
    check($anon =~ /^amq\.gen-/, "server-named queue $anon");
    $ch->publish(exchange => $x, routing_key => 'k', body => 'via binding');
    my $m = get($ch, $q, 1);
    check(body_of($m) eq 'via binding', "got " . body_of($m));
    call($ch, 'unbind_queue', queue => $q, exchange => $x, routing_key => 'k');
    declare_queue($ch, queue => $q, passive => 1);
    call($ch, 'delete_queue', queue => $q);
    call($ch, 'delete_exchange', exchange => $x);
    return 'exchange, queue, binding, server-named queue, unbind, delete';
}

sub s_publish_consume_ack {
    my $ar = shift;
    my $ch = channel($ar);
    my $q = "$P.work";
    declare_queue($ch, queue => $q, durable => 1);
    for my $i (0 .. 9) {
        $ch->publish(routing_key => $q, body => "m$i",
            header => { delivery_mode => 2, content_type => 'text/plain', headers => { n => $i } });
    }
    call($ch, 'qos', prefetch_count => 5);
    my @got;
    consume($ch, $q, 0, sub {
        my $m = shift;
        push @got, body_of($m) . ':' . $m->{header}->headers->{n} . ':' . $m->{header}->content_type;
        $ch->ack(delivery_tag => tag_of($m));
    });
    wait_until(sub { @got >= 10 }, '10 deliveries');
    my @want = map { "m$_:$_:text/plain" } 0 .. 9;
    check("@got" eq "@want", "got @got");
    pause(0.05);
    my $left = declare_queue(channel($ar), queue => $q, passive => 1)->message_count;
    check($left == 0, "queue still holds $left");
    call($ch, 'delete_queue', queue => $q);
    return '10 messages in order, acked, queue empty';
}

sub s_confirm_mandatory_return {
    my $ar = shift;
    my $ch = channel($ar);
    call($ch, 'confirm');
    my $q = declare_queue($ch, queue => '', exclusive => 1)->queue;
    my @events;
    my $publish = sub {
        my ($key, $body) = @_;
        $ch->publish(routing_key => $key, body => $body, mandatory => 1,
            on_ack => sub { push @events, "ack:$body" },
            on_nack => sub { push @events, "nack:$body" },
            on_return => sub { my $m = shift->method_frame; push @events, 'return:' . $m->reply_code . ':' . $m->reply_text . ':' . $m->routing_key });
    };
    $publish->($q, 'routed');
    wait_until(sub { @events >= 1 }, 'the first confirm');
    $publish->("$P.nowhere", 'lost');
    wait_until(sub { @events >= 3 }, 'the return and the second confirm');
    my @want = ('ack:routed', "return:312:NO_ROUTE:$P.nowhere", 'ack:lost');
    check("@events" eq "@want", "events @events");
    return 'routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE, then confirmed';
}

sub s_topic_routing {
    my $ar = shift;
    my $ch = channel($ar);
    my $x = "$P.topic";
    call($ch, 'declare_exchange', exchange => $x, type => 'topic');
    my $qa = declare_queue($ch, queue => '', exclusive => 1)->queue;
    my $qb = declare_queue($ch, queue => '', exclusive => 1)->queue;
    call($ch, 'bind_queue', queue => $qa, exchange => $x, routing_key => '*.orange.*');
    call($ch, 'bind_queue', queue => $qb, exchange => $x, routing_key => '*.*.rabbit');
    call($ch, 'bind_queue', queue => $qb, exchange => $x, routing_key => 'lazy.#');
    my (@a, @b);
    consume($ch, $qa, 1, sub { push @a, shift->{deliver}->method_frame->routing_key });
    consume($ch, $qb, 1, sub { push @b, shift->{deliver}->method_frame->routing_key });
    $ch->publish(exchange => $x, routing_key => $_, body => $_) for qw(quick.orange.rabbit lazy.orange.elephant quick.orange.fox
        lazy.brown.fox lazy quick.brown.fox orange quick.orange.new.rabbit lazy.orange.new.rabbit);
    my @wa = qw(quick.orange.rabbit lazy.orange.elephant quick.orange.fox);
    my @wb = qw(quick.orange.rabbit lazy.orange.elephant lazy.brown.fox lazy lazy.orange.new.rabbit);
    wait_until(sub { @a >= 3 && @b >= 5 }, 'topic deliveries');
    pause(0.1);
    check("@a" eq "@wa" && "@b" eq "@wb", "got [@a] and [@b]");
    call($ch, 'delete_exchange', exchange => $x);
    return '*.orange.* got 3, *.*.rabbit + lazy.# got 5';
}

sub s_nack_requeue {
    my $ar = shift;
    my $ch = channel($ar);
    my $q = declare_queue($ch, queue => '', exclusive => 1)->queue;
    $ch->publish(routing_key => $q, body => 'again');
    my @seen;
    consume($ch, $q, 0, sub {
        my $m = shift;
        push @seen, $m->{deliver}->method_frame->redelivered ? 1 : 0;
        # AnyEvent::RabbitMQ has no basic.nack: basic.reject with requeue is its way to requeue.
        if (@seen == 1) { $ch->reject(delivery_tag => tag_of($m), requeue => 1) }
        else { $ch->ack(delivery_tag => tag_of($m)) }
    });
    wait_until(sub { @seen >= 2 }, 'the redelivery');
    check("@seen" eq '0 1', "redelivered flags @seen");
    pause(0.05);
    my $left = declare_queue(channel($ar), queue => $q, passive => 1)->message_count;
    check($left == 0, "queue still holds $left");
    our $NOTE = 'nack_requeue: basic.reject with requeue (AnyEvent::RabbitMQ has no basic.nack)';
    return 'requeued (basic.reject requeue=1), redelivered with redelivered=1, acked';
}

sub s_large_message {
    my $ar = shift;
    my $ch = channel($ar);
    my $q = declare_queue($ch, queue => '', exclusive => 1)->queue;
    my $body = join '', map { chr(($_ * 31 + 7) & 0xff) } 0 .. 1024 * 1024 - 1;
    $ch->publish(routing_key => $q, body => $body);
    my $got;
    consume($ch, $q, 0, sub { my $m = shift; $got = body_of($m); $ch->ack(delivery_tag => tag_of($m)) });
    wait_until(sub { defined $got }, 'the 1 MB message', 10);
    my $sha = sha256_hex($got);
    check($got eq $body, 'got ' . length($got) . " bytes, sha256 $sha");
    return '1048576 bytes, sha256 ' . substr($sha, 0, 12) . '...';
}

sub s_rpc_reply_to {
    my $ar = shift;
    my $server = channel($ar);
    my $rq = declare_queue($server, queue => "$P.rpc", exclusive => 1)->queue;
    consume($server, $rq, 0, sub {
        my $m = shift;
        my $n = body_of($m);
        $server->publish(routing_key => $m->{header}->reply_to, body => $n * $n,
            header => { correlation_id => $m->{header}->correlation_id });
        $server->ack(delivery_tag => tag_of($m));
    });
    my $client = channel($ar);
    my $reply_to = declare_queue($client, queue => '', exclusive => 1)->queue;
    my %answers;
    consume($client, $reply_to, 1, sub { my $m = shift; $answers{$m->{header}->correlation_id} = body_of($m) });
    $client->publish(routing_key => $rq, body => $_, header => { reply_to => $reply_to, correlation_id => "c$_" }) for 2, 3, 12;
    wait_until(sub { keys(%answers) >= 3 }, 'three replies');
    my $got = join ',', map { "$_=$answers{$_}" } sort keys %answers;
    check($got eq 'c12=144,c2=4,c3=9', "answers $got");
    return '3 calls answered on an exclusive reply queue, matched by correlation_id';
}

sub s_rpc_direct_reply_to {
    my $ar = shift;
    my $server = channel($ar);
    my $rq = declare_queue($server, queue => "$P.drpc", exclusive => 1)->queue;
    my $seen;
    consume($server, $rq, 0, sub {
        my $m = shift;
        $seen = $m->{header}->reply_to;
        $server->publish(routing_key => $seen, body => 're:' . body_of($m), header => { correlation_id => $m->{header}->correlation_id });
        $server->ack(delivery_tag => tag_of($m));
    });
    my $client = channel($ar);
    my $reply;
    consume($client, 'amq.rabbitmq.reply-to', 1, sub { my $m = shift; $reply = $m->{header}->correlation_id . '/' . body_of($m) });
    $client->publish(routing_key => $rq, body => 'ping', header => { reply_to => 'amq.rabbitmq.reply-to', correlation_id => 'd1' });
    wait_until(sub { defined $reply }, 'the direct reply');
    check(defined $seen && $seen =~ /^amq\.rabbitmq\.reply-to\./, 'server saw reply_to ' . ($seen // 'nothing'));
    check($reply eq 'd1/re:ping', "reply $reply");
    return 'reply via amq.rabbitmq.reply-to';
}

sub s_dead_letter {
    my $ar = shift;
    my $ch = channel($ar);
    my ($dlx, $dlq, $q) = ("$P.dlx", "$P.dlq", "$P.dlwork");
    call($ch, 'declare_exchange', exchange => $dlx, type => 'direct');
    declare_queue($ch, queue => $dlq, exclusive => 1);
    call($ch, 'bind_queue', queue => $dlq, exchange => $dlx, routing_key => 'dead');
    declare_queue($ch, queue => $q, exclusive => 1,
        arguments => { 'x-dead-letter-exchange' => $dlx, 'x-dead-letter-routing-key' => 'dead' });
    $ch->publish(routing_key => $q, body => 'doomed');
    my $m = get($ch, $q, 0);
    $ch->reject(delivery_tag => $m->{ok}->method_frame->delivery_tag, requeue => 0);
    # Net::AMQP 0.06 cannot decode the x-death header a broker adds to a dead-lettered message (its 'count' is a
    # field of type 'l', signed 64-bit), and a frame it cannot decode breaks the connection. So the message is
    # not fetched: the dead-letter queue's message count shows it arrived.
    my $count = 0;
    for (1 .. 500) {
        $count = declare_queue($ch, queue => $dlq, passive => 1)->message_count;
        last if $count >= 1;
        pause(0.01);
    }
    my $left = declare_queue($ch, queue => $q, passive => 1)->message_count;
    check($count == 1 && $left == 0, "dead-letter queue holds $count, work queue $left");
    call($ch, 'purge_queue', queue => $dlq);
    call($ch, 'delete_exchange', exchange => $dlx);
    our $NOTE = "dead_letter: checked by the dead-letter queue's message count, since Net::AMQP 0.06 cannot decode the x-death header (field type 'l')";
    return "rejected -> $dlx, the dead-letter queue holds it (x-death not decodable by Net::AMQP 0.06)";
}

sub s_clean_close {
    my $ar = connect_broker();
    my $ch = channel($ar);
    call($ch, 'close');
    check(!$ch->is_open, 'channel still open');
    call($ar, 'close');
    check(!$ar->is_open, 'connection still open');
    return 'channel.close-ok and connection.close-ok received';
}

# Runs $fn on a fresh connection, then closes it: a failing close fails the scenario too.
sub with_conn {
    my $fn = shift;
    return sub {
        my $ar = connect_broker();
        my @r = eval { $fn->($ar) };
        if (my $err = $@) {
            eval { call($ar, 'close') };
            die $err;
        }
        call($ar, 'close');
        return $r[0];
    };
}

my @scenarios = (
    [connect => \&s_connect],
    [topology => with_conn(\&s_topology)],
    [publish_consume_ack => with_conn(\&s_publish_consume_ack)],
    [confirm_mandatory_return => with_conn(\&s_confirm_mandatory_return)],
    [topic_routing => with_conn(\&s_topic_routing)],
    [nack_requeue => with_conn(\&s_nack_requeue)],
    [large_message => with_conn(\&s_large_message)],
    [rpc_reply_to => with_conn(\&s_rpc_reply_to)],
    [rpc_direct_reply_to => with_conn(\&s_rpc_direct_reply_to)],
    [dead_letter => with_conn(\&s_dead_letter)],
    [clean_close => \&s_clean_close],
);

$| = 1;
for my $s (@scenarios) {
    my ($name, $fn) = @$s;
    our $NOTE = undef;
    my $detail = eval { $fn->() };
    my $ok = defined $detail && !$@;
    unless ($ok) { ($detail = $@ || 'no result') =~ s/\s+at \S+ line \d+\.?\s*$//; $detail =~ s/\s+/ /g; $detail =~ s/^ | $//g }
    print $JSON->encode({ scenario => $name, ok => $ok ? JSON::PP::true : JSON::PP::false, detail => $detail,
        defined $NOTE ? (note => $NOTE) : () }), "\n";
}
