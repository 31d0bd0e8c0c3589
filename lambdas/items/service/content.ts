/** Content types, text detection and chunking of scoped items. */

const TYPES_BY_EXTENSION: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  ts: 'text/x-typescript',
  py: 'text/x-python',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  sh: 'text/x-shellscript',
  sql: 'application/sql',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  zip: 'application/zip',
  gz: 'application/gzip',
};

const TEXT_TYPE = /^(text\/|application\/(json|xml|yaml|toml|sql|javascript|x-ndjson|[\w.+-]+\+(json|xml))\b|image\/svg\+xml)/i;

export const isTextType = (contentType: string): boolean => TEXT_TYPE.test(contentType);

/** The content type a client named, else the one its file extension suggests, else by the bytes. */
export function contentTypeOf(path: string, declared: string | undefined, bytes: Uint8Array): string {
  if (declared) return declared;
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  const known = extension ? TYPES_BY_EXTENSION[extension] : undefined;
  if (known) return known;
  return looksLikeText(bytes) ? 'text/plain' : 'application/octet-stream';
}

/** Text: valid UTF-8 without NUL bytes (checked over the first 64 KiB). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 65536);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.length < bytes.length ? trimPartialCodepoint(head) : head);
    return true;
  } catch {
    return false;
  }
}

/** Drops a UTF-8 sequence cut off at the end of a sample. */
function trimPartialCodepoint(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b >= 0xc0) end -= back; // lead byte of a possibly incomplete sequence
    break;
  }
  return bytes.subarray(0, end);
}

const BINARY_TYPE = /^(image|audio|video|font)\/|^application\/(pdf|zip|gzip|x-tar|x-7z-compressed|vnd\.)/i;

/** An item is indexed when its type is textual, or not a known binary type and its bytes are text. */
export const isTextItem = (contentType: string, bytes: Uint8Array): boolean =>
  isTextType(contentType) || (!BINARY_TYPE.test(contentType) && looksLikeText(bytes));

export const CHUNK_SIZE = 1000;
export const CHUNK_OVERLAP = 200;
/** Text beyond this many characters of one item is stored but not indexed. */
export const MAX_INDEXED_CHARS = 1_000_000;

/**
 * Splits text into chunks of at most CHUNK_SIZE characters that overlap by about CHUNK_OVERLAP,
 * cutting at a paragraph, sentence or word boundary where one lies in the second half of a chunk.
 */
export function chunkText(text: string): string[] {
  const source = text.slice(0, MAX_INDEXED_CHARS);
  const chunks: string[] = [];
  let start = 0;
  while (start < source.length) {
    let end = Math.min(start + CHUNK_SIZE, source.length);
    if (end < source.length) end = boundaryBefore(source, start + CHUNK_SIZE / 2, end);
    const chunk = source.slice(start, end).trim();
    if (chunk) chunks.push(chunk);
    if (end >= source.length) break;
    let next = Math.max(end - CHUNK_OVERLAP, start + 1);
    // start the overlap at a word
    const space = source.slice(next, end).search(/\s/);
    if (space >= 0) next += space + 1;
    start = next;
  }
  return chunks;
}

function boundaryBefore(text: string, from: number, to: number): number {
  const window = text.slice(from, to);
  for (const pattern of [/\n\s*\n/g, /[.!?]\s/g, /\s/g]) {
    let last = -1;
    for (const m of window.matchAll(pattern)) last = m.index + m[0].length;
    if (last > 0) return from + last;
  }
  return to;
}

/** A heading made of the file name, embedded with every chunk: it tells what the chunk belongs to. */
export function titleOf(path: string): string {
  const name = path.split('/').pop() ?? path;
  return `# ${name.replace(/\.[A-Za-z0-9]+$/, '').replace(/[-_.]+/g, ' ')}`;
}
