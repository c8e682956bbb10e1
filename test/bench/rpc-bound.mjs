// The physical floor of the bench's RPC round trip on this machine, without any broker: the same four hops between the
// same two processes over loopback TCP as the RPC scenario (client → broker → responder → broker → client, where client
// and responder share the bench's one process), with a relay process in the broker's place that forwards each chunk
// as it reads it and does nothing else. One request at a time, as the scenario; prints p50 and p99 of the round trip.
// With "spin" the relay never sleeps (a setImmediate loop keeps its event loop polling): what busy-polling would give.
// usage: node rpc-bound.mjs [seconds] [spin]
import { fork } from 'node:child_process';
import { createServer, connect } from 'node:net';

const FRAME = Buffer.alloc(112, 0x66); // about a request's three frames (basic.publish, header, 16 B body)

if (process.argv[2] === 'relay') {
  if (process.argv[3] === 'spin') setImmediate(function spin() { setImmediate(spin); });
  // The broker's place: the first connection is the client's, the second the responder's; each forwards to the other.
  const sockets = [];
  const server = createServer((s) => {
    s.setNoDelay(true);
    sockets.push(s);
    if (sockets.length === 2) {
      sockets[0].on('data', (d) => sockets[1].write(d));
      sockets[1].on('data', (d) => sockets[0].write(d));
    }
    s.on('error', () => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const relay = fork(new URL(import.meta.url).pathname, ['relay', process.argv[3] ?? '']);
  const port = await new Promise((r) => relay.once('message', r));
  const open = () => new Promise((r) => { const s = connect(port, '127.0.0.1', () => r(s)); s.setNoDelay(true); });
  const client = await open();
  const responder = await open();
  responder.on('data', (d) => responder.write(d)); // the reply goes straight back
  const samples = [];
  const roundTrip = () => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    client.once('data', () => resolve(Number(process.hrtime.bigint() - t0) / 1000));
    client.write(FRAME);
  });
  // One unmeasured second, as the scenario.
  for (const [len, keep] of [[1, false], [seconds, true]]) {
    const end = Date.now() + len * 1000;
    while (Date.now() < end) {
      const us = await roundTrip();
      if (keep) samples.push(us);
    }
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  console.log(`${samples.length} round trips: p50 ${at(0.5).toFixed(0)} µs, p99 ${at(0.99).toFixed(0)} µs`);
  client.destroy();
  responder.destroy();
  relay.kill();
}
