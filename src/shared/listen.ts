// Listening on a TCP port: on the given host, or (none given) on every IPv6 and IPv4 address, IPv4 only without IPv6.
import type { Server } from 'node:net';

/**
 * Resolves with the port once `server` listens. Without a host, Node itself binds `::` dual-stack and falls back to
 * 0.0.0.0 where IPv6 is missing; passing '::' instead would send it through dns.lookup, whose first IPv6 check costs
 * about 10 ms of the start.
 */
export function listenTcp(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(host === undefined ? { port } : { port, host }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
