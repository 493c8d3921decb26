/**
 * The byte type web bodies use: `Uint8Array<ArrayBuffer>`, what the DOM's `Request.body`,
 * `bytes()` and `BufferSource` require (TypeScript 5.7+ tells it apart from a view on a
 * `SharedArrayBuffer`). Node's socket chunks and `Buffer.concat` results are views on plain
 * `ArrayBuffer`s, so `ownBytes` almost always returns its argument; a view on shared memory
 * (which only a caller's own body can be) is copied, so the type never lies.
 *
 * @internal
 * @module
 */

/** A `Uint8Array` on a plain (not shared) `ArrayBuffer`: the web platform's body bytes. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** `view` itself when it is on a plain `ArrayBuffer`, else a copy of its bytes that is. @internal */
export function ownBytes(view: Uint8Array): Bytes {
  return view.buffer instanceof ArrayBuffer ? (view as Bytes) : new Uint8Array(view);
}
