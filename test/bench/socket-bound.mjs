// The physical bound of one Node.js thread for the broker's socket work, without any broker: a generator process writes
// pre-encoded basic.publish frames (16 B body) to the middle process, which for every chunk it reads either
//   mode "copy":  finds the frames (a loop over frame sizes, as the frame reader does, no decoding) and writes as many
//                 pre-encoded basic.deliver + header + body frames (one write per chunk, as Warren's output),
//   mode "write": ignores its input and writes pre-encoded deliveries as fast as the socket takes them,
// and a sink process reads and counts the deliveries. Prints deliveries/s and the middle's CPU per delivery.
// usage: node socket-bound.mjs copy|write [seconds]   (after npm run build: it imports dist/src/protocol)
import { fork } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { publishFrames, Writer, writeDelivery } from '../../dist/src/protocol/index.js';

const role = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
const BODY = Buffer.alloc(16, 0x61);
const publish = publishFrames(1, '', 'q-bench-123', {}, BODY, 131072).frames;
const tag = Buffer.from([31, ...Buffer.from('amq.ctag-AAAAAAAAAAAAAAAAAAAAAA')]);
const routing = Buffer.from([0, 11, ...Buffer.from('q-bench-123')]);
const props = Buffer.from([0, 0]);
const deliveryOf = (n) => {
  const w = new Writer(n * 128);
  for (let i = 0; i < n; i++) writeDelivery(w, 1, tag, 1000 + i, false, routing, props, BODY);
  return w.take();
};
const one = deliveryOf(1);

if (role === 'gen') {
  const chunk = Buffer.concat(Array(Math.floor(65536 / publish.length)).fill(publish));
  const s = connect(Number(process.argv[3]), '127.0.0.1', () => {
    const pump = () => { while (s.write(chunk)); };
    s.on('drain', pump);
    pump();
  });
  s.on('error', () => process.exit(0));
} else if (role === 'sink') {
  let bytes = 0;
  const s = connect(Number(process.argv[3]), '127.0.0.1');
  s.on('data', (d) => (bytes += d.length));
  s.on('error', () => process.exit(0));
  process.on('message', () => process.send(bytes / one.length));
} else {
  const mode = role;
  const server = createServer();
  let sink, gen;
  let delivered = 0;
  const prebuilt = new Map();
  server.listen(0, '127.0.0.1', async () => {
    const port = server.address().port;
    const conns = [];
    server.on('connection', (c) => conns.push(c));
    const sinkProc = fork(new URL(import.meta.url).pathname, ['sink', String(port)]);
    while (conns.length < 1) await new Promise((r) => setTimeout(r, 5));
    sink = conns[0];
    if (mode === 'copy') {
      const genProc = fork(new URL(import.meta.url).pathname, ['gen', String(port)]);
      while (conns.length < 2) await new Promise((r) => setTimeout(r, 5));
      gen = conns[1];
      let rest;
      let pending = 0;
      gen.on('data', (chunk) => {
        // Find the frames as the frame reader does (sizes only; a partial frame is carried over), count publishes.
        const d = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
        let pos = 0;
        let frames = pending;
        while (pos + 7 <= d.length) {
          const end = pos + d.readUInt32BE(pos + 3) + 8;
          if (end > d.length) break;
          frames++;
          pos = end;
        }
        rest = pos < d.length ? d.subarray(pos) : undefined;
        pending = frames % 3;
        const n = Math.floor(frames / 3);
        let out = prebuilt.get(n);
        if (!out) prebuilt.set(n, (out = deliveryOf(n)));
        delivered += n;
        if (!sink.write(Buffer.from(out))) { gen.pause(); sink.once('drain', () => gen.resume()); }
      });
      setTimeout(() => genProc.kill(), seconds * 1000 + 1500);
    } else {
      const chunk = deliveryOf(Math.floor(65536 / one.length));
      const pump = () => { while (sink.write(chunk)); };
      sink.on('drain', pump);
      pump();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    sinkProc.send('count');
    const b0 = await new Promise((r) => sinkProc.once('message', r));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    sinkProc.send('count');
    const b1 = await new Promise((r) => sinkProc.once('message', r));
    const c1 = process.cpuUsage(c0);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = (b1 - b0) / dt;
    const cpu = (c1.user + c1.system) / 1e6;
    console.log(`${mode}: ${Math.round(rate).toLocaleString('en-US')} deliveries/s at the sink (${one.length} B each), middle process ${(100 * cpu / dt).toFixed(0)}% of a core (user ${(c1.user / 1e6 / dt * 100).toFixed(0)}%, system ${(c1.system / 1e6 / dt * 100).toFixed(0)}%), ${(cpu * 1e6 / (b1 - b0)).toFixed(3)} µs CPU per delivery`);
    sinkProc.kill();
    process.exit(0);
  });
}
