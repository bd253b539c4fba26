/** The store contract against the in-process engine. */
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', async () => {
  const store = new MemoryStore();
  return { store, connect: async () => store, cleanup: () => store.close() };
});
