/**
 * The global types of explicit resource management that Tendril's published `.d.ts` files use:
 * `Symbol.dispose`, `Symbol.asyncDispose`, `Disposable` and `AsyncDisposable`.
 *
 * Why here: a consumer's compiler does not always have them. TypeScript 7 defaults `types` to
 * `[]` (so `@types/node`'s copy is not loaded) and its default `lib` lacks `esnext.disposable`,
 * so `using new Timeout(…)` would fail to type-check in a project with only
 * `"module": "NodeNext"`. The entry points reference this file with
 * `/// <reference path preserve="true">`, which costs nothing at run time.
 *
 * Trade-off: we declare only what every Node.js that Tendril supports (>= 20.12) has at run time,
 * rather than pulling in `lib.esnext.disposable`, which also declares `DisposableStack` — absent
 * from Node 20. The shapes match TypeScript's lib and `@types/node` exactly, so the
 * declarations merge with either when a project has them too.
 *
 * @module
 */

declare global {
  interface SymbolConstructor {
    /** The method `using` calls when a block ends. */
    readonly dispose: unique symbol;
    /** The method `await using` calls (and awaits) when a block ends. */
    readonly asyncDispose: unique symbol;
  }
  /** An object that `using` can release. */
  interface Disposable {
    [Symbol.dispose](): void;
  }
  /** An object that `await using` can release. */
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
}

export {};
