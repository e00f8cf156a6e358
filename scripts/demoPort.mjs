// The demo's port: 5173 unless it is taken, then a free one the system picks. A port asked for
// explicitly (--port, PORT) is used as is, so a clash there still fails loudly.
import { createServer } from 'node:net';

/** The port the demo serves on when none is asked for. */
export const DEFAULT_DEMO_PORT = 5173;

/** Listens on `port` (0: any) on `host` and resolves the port got, or undefined when it is taken. */
function tryListen(port, host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error) => {
      if (error && (error.code === 'EADDRINUSE' || error.code === 'EACCES')) resolve(undefined);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => {
      const got = server.address().port;
      server.close(() => resolve(got));
    });
  });
}

/**
 * Picks the demo's port. `requested` (a string from --port or PORT) wins when given; otherwise the default
 * when free, else a free port, with a `note` saying why.
 * @returns {Promise<{ port: number, note?: string }>}
 */
export async function chooseDemoPort({ requested, host = '127.0.0.1', preferred = DEFAULT_DEMO_PORT } = {}) {
  if (requested !== undefined && requested !== '') return { port: Number(requested) };
  if ((await tryListen(preferred, host)) !== undefined) return { port: preferred };
  const port = await tryListen(0, host);
  if (port === undefined) throw new Error(`demo: no free port on ${host}`);
  return { port, note: `port ${preferred} is in use; serving on ${port} instead (use --port N to choose)` };
}
