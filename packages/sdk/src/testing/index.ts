export { runStoreContract, type StoreContractOptions, type StoreContractTestApi } from './contract.js';
export {
  FIXTURE_NAMES,
  FIXTURE_USERS,
  type FixtureUser,
  type GenerateActivityOptions,
  generateActivity,
  generateActivityBatches,
} from './fixtures.js';
export {
  checkBucketMs,
  checkQuery,
  compareNewestFirst,
  createMemoryStore,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  matchesFilter,
  searchTexts,
  sortFacet,
  toMs,
} from './memoryStore.js';
