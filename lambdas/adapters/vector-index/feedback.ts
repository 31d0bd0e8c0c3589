import { contentWords, stem, stemSet } from '../text-terms';
import type { QueryTerms } from './ranking';

/** How many of the best hit's words stand for what it is about (relevance models commonly take 10 to 20). */
export const FEEDBACK_WORDS = 10;

/**
 * Relevance feedback from the best hit alone (a relevance model of one document, as RM3 builds one
 * from the top documents): its FEEDBACK_WORDS most telling words besides the query's, each weighed
 * by its share of the hit's words times its information (how rare the word is in English). A
 * text's resemblance to it is the weighed share of those words it has: 1 for the best hit itself,
 * and 1 for every text when the best hit has no word besides the query's. A text whose distinct
 * stems are known (`{ stems }`: TextFeatures.stems, " a b ", the set stemSet makes of it) is not tokenised again.
 */
export function resemblanceTo(
  best: string,
  terms: QueryTerms,
  information: (word: string) => number,
): (text: string | { stems: string }) => number {
  const query = new Set(terms.flat());
  const words = contentWords(best);
  const counts = new Map<string, { word: string; count: number }>();
  for (const word of words) {
    const key = stem(word);
    if (query.has(key)) continue;
    const counted = counts.get(key);
    if (counted) counted.count++;
    else counts.set(key, { word, count: 1 });
  }
  const telling = [...counts.entries()]
    .map(([key, { word, count }]) => ({ key, weight: (count / words.length) * information(word) }))
    .sort((a, b) => b.weight - a.weight || (a.key < b.key ? -1 : 1))
    .slice(0, FEEDBACK_WORDS);
  const total = telling.reduce((sum, t) => sum + t.weight, 0);
  return (text) => {
    if (!total) return 1;
    const present: Pick<Set<string>, 'has'> = typeof text === 'string' ? stemSet(text) : { has: (key) => text.stems.includes(` ${key} `) };
    return telling.reduce((sum, t) => sum + (present.has(t.key) ? t.weight : 0), 0) / total;
  };
}
