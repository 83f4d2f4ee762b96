/**
 * `@oxbow/contracts`: the contracts between Oxbow's layers, written once (docs/design/0002-layer-contracts.md).
 * It depends on no other workspace package, so every library and app may import it.
 */
export { CONTRACT_ERROR_CODES, ContractError, type ContractErrorCode } from './errors/contract-error.ts';
export { OxbowError, type OxbowErrorOptions } from './errors/oxbow-error.ts';
