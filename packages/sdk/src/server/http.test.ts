import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPositionCodec, json, serializedBody } from './http.js';
import { toNodeHandler } from './node.js';

describe('createPositionCodec', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('signs the same token with node:crypto and with Web Crypto, so tokens survive a runtime change', async () => {
    const position = { occurredAt: '2026-03-01T10:00:00.000Z', id: '0195f0c0-0000-7000-8000-000000000001' };
    const viaNode = await createPositionCodec('a-secret-of-some-length').encode('org_a', position);
    // An edge runtime: no process.getBuiltinModule, so the codec falls back to Web Crypto.
    vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    const webCodec = createPositionCodec('a-secret-of-some-length');
    const viaWeb = await webCodec.encode('org_a', position);
    expect(viaWeb).toBe(viaNode);
    expect(await webCodec.decode('org_a', viaNode, 'cursor')).toEqual(position);
    await expect(webCodec.decode('org_b', viaNode, 'cursor')).rejects.toMatchObject({ field: 'cursor' });
  });
});

describe('json', () => {
  it('keeps the serialized bytes for adapters until the body is read', async () => {
    const response = json({ name: 'Zoë', n: 1 });
    const bytes = serializedBody(response);
    expect(new TextDecoder().decode(bytes)).toBe('{"name":"Zoë","n":1}');
    expect(await response.json()).toEqual({ name: 'Zoë', n: 1 });
    // Read once: an adapter must not send it a second time.
    expect(serializedBody(response)).toBeUndefined();
    expect(serializedBody(new Response('{}'))).toBeUndefined();
  });
});

describe('toNodeHandler', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function get(
    handler: (request: Request) => Promise<Response>,
  ): Promise<{ headers: Record<string, string | string[] | undefined>; body: string }> {
    server = createServer(toNodeHandler(handler));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/x', headers: { 'x-a': 'b' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('sends a JSON response in one piece with its byte length, not chunked', async () => {
    const { headers, body } = await get(async (request) =>
      json({ header: request.headers.get('x-a'), text: 'ünïcode ✓' }, 200, { 'x-extra': '1' }),
    );
    expect(JSON.parse(body)).toEqual({ header: 'b', text: 'ünïcode ✓' });
    expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(headers['transfer-encoding']).toBeUndefined();
    expect(headers['x-extra']).toBe('1');
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('still streams bodies it did not serialize itself', async () => {
    const { headers, body } = await get(
      async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('a,b\n'));
              controller.enqueue(new TextEncoder().encode('1,2\n'));
              controller.close();
            },
          }),
          { headers: { 'content-type': 'text/csv' } },
        ),
    );
    expect(body).toBe('a,b\n1,2\n');
    expect(headers['transfer-encoding']).toBe('chunked');
  });
});
