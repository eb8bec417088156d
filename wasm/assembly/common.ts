/**
 * Helpers shared by the kernels (AssemblyScript; each kernel imports what it uses, and re-exports
 * scratchBase, which the loader (src/core/wasm/loader.ts) checks).
 */

/** First byte the JS side may use (64-byte aligned). */
export function scratchBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** Descriptor slot k (i32 table at desc) as an address. */
// @ts-ignore: decorator
@inline
export function slot(desc: usize, k: i32): usize {
  return <usize>load<i32>(desc + (<usize>k << 2));
}

/** Descriptor slot k (i32 table at desc) as a number. */
// @ts-ignore: decorator
@inline
export function word(desc: usize, k: i32): i32 {
  return load<i32>(desc + (<usize>k << 2));
}
