/**
 * `load`'s first result, kept: later calls hand back the same value (for a promise, the same
 * promise, rejected or not). For modules loaded on first use: under the local runtime's TypeScript
 * loader (tsx), every `await import()` of a module already loaded is still a round trip to the
 * loader's thread (~0.3-0.5 ms; a search made four), while awaiting a kept promise costs nothing.
 */
export function once<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}
