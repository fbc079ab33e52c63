/**
 * The benchmark's in-memory state store must keep the DynamoDB store's conditional semantics, or the bench would
 * measure an evaluator that never meets a conflict it would meet in AWS: it runs the same contract.
 */
import { MemoryStateStore } from '../../bench/memory-state-store';
import { describeStateStoreContract } from '../support/state-store-contract';

describeStateStoreContract('MemoryStateStore', () => {
  const store = new MemoryStateStore();
  return { store, history: async (slo, tenant) => store.historyOf(slo, tenant) };
});
