/** The store contract against the in-process engine. */
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { contractEra, storeContract } from './store-contract.ts';

storeContract('memory', async () => {
  const store = new MemoryStore({ newEra: contractEra });
  return { store, connect: async () => store, cleanup: () => store.close() };
});
