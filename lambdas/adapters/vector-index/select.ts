import { config } from '../../kit/config';
import type { VectorIndex } from './port';

let instance: Promise<VectorIndex> | undefined;

/** The configured backend, created once per process (modules loaded lazily: a local run needs no OpenSearch client). */
export function vectorIndex(): Promise<VectorIndex> {
  instance ??=
    config.vectorBackend === 'opensearch'
      ? import('./opensearch').then((m) => m.openSearchVectorIndex())
      : import('./local').then((m) => m.openLocalVectorIndex(config.home));
  return instance;
}
