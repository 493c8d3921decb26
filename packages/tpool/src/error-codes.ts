/**
 * The `code`s of `@tendril/tpool`'s errors, added to `@tendril/core`'s `TendrilErrorCodes`
 * registry so that `TendrilError.code` names them once this package is imported. Each is
 * explained on the docs' Errors page.
 *
 * @module
 */

/**
 * The error codes `@tendril/tpool` adds to `TendrilErrorCodes`.
 *
 * @example
 * ```ts
 * const code: TpoolErrorCode = "ERR_TENDRIL_TPOOL_FULL";
 * ```
 */
export interface TpoolErrorCodes {
  /** A task submitted to (or waiting for room in) a closed `ThreadPool` (`ThreadPoolClosed`). */
  ERR_TENDRIL_TPOOL_CLOSED: true;
  /** A task refused by a full `ThreadPool` with `whenFull: "reject"` (`ThreadPoolFull`). */
  ERR_TENDRIL_TPOOL_FULL: true;
  /** `run(name)` of a name the worker module does not export as a function (`NoSuchExport`). */
  ERR_TENDRIL_TPOOL_NO_EXPORT: true;
}

/**
 * A code of one of `@tendril/tpool`'s errors.
 *
 * @example
 * ```ts
 * const full: TpoolErrorCode = "ERR_TENDRIL_TPOOL_FULL";
 * ```
 */
export type TpoolErrorCode = keyof TpoolErrorCodes;

declare module "@tendril/core" {
  interface TendrilErrorCodes extends TpoolErrorCodes {}
}
