/** Issue 12: `pnpm demo` falls back to a free port when 5173 is taken, instead of exiting with EADDRINUSE. */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { chooseDemoPort } from '../../../scripts/demoPort.mjs';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function occupy(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

describe('chooseDemoPort', () => {
  it('uses the preferred port when it is free', async () => {
    const free = await occupy(0);
    await new Promise((r) => servers.pop()?.close(r));
    expect(await chooseDemoPort({ preferred: free })).toEqual({ port: free });
  });

  it('falls back to a free port, saying so, when the preferred one is taken', async () => {
    const taken = await occupy(0);
    const chosen = await chooseDemoPort({ preferred: taken });
    expect(chosen.port).not.toBe(taken);
    expect(chosen.port).toBeGreaterThan(0);
    expect(chosen.note).toContain(`port ${taken} is in use`);
    // The port it picked can really be listened on.
    expect(await occupy(chosen.port)).toBe(chosen.port);
  });

  it('keeps a port asked for explicitly, even when taken', async () => {
    const taken = await occupy(0);
    expect(await chooseDemoPort({ requested: String(taken) })).toEqual({ port: taken });
  });
});
