import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStoreContract } from '../src/testing/index.js';
import { createMemoryStore } from '../src/testing/memoryStore.js';

runStoreContract('memory', () => createMemoryStore(), {
  test: { describe, it, expect, beforeEach, afterEach },
  fastCheck: fc,
});

describe('createMemoryStore', () => {
  it('refuses work after close', async () => {
    const store = createMemoryStore();
    await store.close();
    await expect(store.listOrgs()).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });
});
