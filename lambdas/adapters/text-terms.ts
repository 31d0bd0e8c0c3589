/**
 * The word analysis shared by the offline embedder and the ranking: lower-cased letter/digit
 * tokens, English stop words (question words included) left out, a light suffix-stripping stemmer.
 */
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers herself him himself
  his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours
  ourselves out over own same she should so some such than that the their theirs them themselves then there these they this
  those through to too under until up very was we were what when where which while who whom why will with would you your
  yours yourself yourselves also may might must shall use using used get got make made via etc md txt`.split(/\s+/),
);

const porter2 = require('wink-porter2-stemmer') as (word: string) => string;

/** The Porter2 (Snowball English) stem of a lower-case word: the stemmer LanceDB's full-text index uses too. */
export function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= STEM_CACHE_SIZE) stems.clear();
    stemmed = porter2(word);
    stems.set(word, stemmed);
  }
  return stemmed;
}

const STEM_CACHE_SIZE = 50_000;
const stems = new Map<string, string>();

/** Content words of a text, lower-cased, in order (not stemmed). */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((token) => token.length >= 2 && !STOPWORDS.has(token));
}

/** The distinct stems of a text's content words. */
export const stemSet = (text: string): Set<string> => new Set(contentWords(text).map(stem));
