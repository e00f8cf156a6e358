/**
 * A loopback TCP proxy that can freeze: while frozen it accepts connections and holds every byte in
 * both directions, like a stopped primary or a black-holed network (the peer sees an open socket that
 * never answers). Thawing delivers what was held, as SIGCONT would.
 */
import net from 'node:net';

/** A running proxy. */
export interface FreezableProxy {
  /** Port it listens on (127.0.0.1). */
  readonly port: number;
  /** Stops forwarding: held bytes wait until {@link FreezableProxy.thaw}. */
  freeze(): void;
  /** Forwards again, held bytes first. */
  thaw(): void;
  /** Connections accepted so far. */
  accepted(): number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

type Target = { host: string; port: number } | { path: string };

/** Starts a proxy to `target`, or one that never answers at all when `target` is undefined. */
export async function startProxy(target: Target | undefined): Promise<FreezableProxy> {
  let frozen = target === undefined;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const flushers = new Set<() => void>();

  const server = net.createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (target === undefined) return; // Accepts, reads, never answers.
    const upstream = net.connect(target as net.NetConnectOpts);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const held: [net.Socket, Buffer][] = [];
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (frozen || held.length > 0) held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const flush = () => {
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    };
    flushers.add(flush);
    client.on('close', () => flushers.delete(flush));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    freeze() {
      frozen = true;
    },
    thaw() {
      if (target === undefined) return;
      frozen = false;
      for (const flush of flushers) flush();
    },
    accepted: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
