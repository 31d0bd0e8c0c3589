import {
  decodeFeatures,
  encodeFeatures,
  informationOf,
  meaningOf,
  parseVectors,
  RowSimilarities,
  sentenceVector,
  textFeatures,
  wordVectors,
} from '../../../../lambdas/adapters/word-vectors';
import { contentWords, stem } from '../../../../lambdas/adapters/text-terms';
import { queryTerms } from '../../../../lambdas/adapters/vector-index/ranking';
import { synonymsOf } from '../../../../lambdas/adapters/wordnet';
import { variedTexts } from '../../../support/varied-text';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('reading the word vectors package', () => {
  // the package's layout: header, words in frequency order, then word -> [vector..., l2 norm, rank]
  const json = Buffer.from(
    '{"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,"words":["the","\\"q\\"","café","],\\"vectors\\":{"],' +
      '"vectors":{"café":[1.5e-05,-0.25,2,2.0000001,2],"the":[0.1,0.2,-0.3,0.37416574,0],' +
      '"\\"q\\"":[-1E+2,0,3.25,100.05,1],"],\\"vectors\\":{":[4,5,6,8.77,3]},"unkVector":[0,0,0,-1]}',
  );

  it('keeps the most frequent words, in rank order, with their components (exponents, escapes, UTF-8)', () => {
    const { dimension, words, vectors } = parseVectors(json, 3);
    expect(dimension).toBe(3);
    expect(words).toEqual(['the', '"q"', 'café']);
    const rows = Array.from({ length: 3 }, (_, r) => Array.from(vectors.subarray(r * 3, r * 3 + 3)));
    expect(rows[0].map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.2, -0.3]);
    expect(rows[1]).toEqual([-100, 0, 3.25]);
    expect(rows[2].map((v) => Number(v.toFixed(6)))).toEqual([0.000015, -0.25, 2]);
  });

  it('refuses a file without vectors instead of returning an empty vocabulary', () => {
    expect(() => parseVectors(Buffer.from('{"size":1,"dimensions":3,"words":["a"]}'), 10)).toThrow(/no vectors/);
  });
});

describe('word-vector meaning (the package itself)', () => {
  const vectors = wordVectors();

  it('loads the frequent English words only', () => {
    expect(vectors.dimension).toBe(100);
    expect(vectors.rows.size).toBeGreaterThan(90_000);
    expect(vectors.rows.has('vacation')).toBe(true);
    expect(vectors.rows.has('holidays')).toBe(true);
  });

  it('puts a paraphrase with other words closer than a text that shares only a generic word', () => {
    const query = sentenceVector(contentWords('How much vacation do employees get?'));
    const holidays = sentenceVector(contentWords('Holidays: staff are entitled to 25 days of paid leave per year.'));
    const migrations = sentenceVector(contentWords('Migrations run with dbctl migrate; get the schema change reviewed.'));
    expect(cosine(query, holidays)).toBeGreaterThan(cosine(query, migrations) + 0.1);
    expect(Array.from(sentenceVector(['zzqxv', 'dbctl']))).toEqual(new Array(100).fill(0));
  });

  it('covers query words by close words, and tells a document matching only a generic word of the query', () => {
    const paraphrase = 'How much vacation do employees get?';
    const forParaphrase = meaningOf(paraphrase, queryTerms(paraphrase, synonymsOf));
    const holidays = forParaphrase('# holidays\nStaff are entitled to 25 days of paid leave per year.');
    const unrelated = forParaphrase('# printer setup\nThe printer on floor two takes A4 paper.');
    expect(holidays.coverage).toBeGreaterThan(unrelated.coverage);
    expect(holidays.meaning).toBeGreaterThan(unrelated.meaning);

    const offTopic = 'How do I migrate our iOS app to SwiftUI?';
    const migrations = meaningOf(
      offTopic,
      queryTerms(offTopic, synonymsOf),
    )('# database migrations\nMigrate the schema with dbctl migrate.');
    // "swiftui" is in no text: the rarest kind of word, left unmatched
    expect(migrations.unmatched).toBeGreaterThan(0.9);
    expect(holidays.unmatched).toBeLessThan(migrations.unmatched);
  });

  it('counts the query words a text has something for (stem, synonym or a close word), and rates words by how rare they are', () => {
    const query = 'What is the wifi password for guests?';
    const signals = meaningOf(query, queryTerms(query, synonymsOf));
    // "password" only: neither "wifi" nor "guests" has a close word in a password policy
    expect(signals('# passwords\nUse the password manager for every work account.').matched).toBe(1);
    // "wifi" by its stem, "password" by its plural's stem, "guests" by "visitors" (a close word)
    expect(signals('# office\nVisitors get the wifi passwords at the desk.').matched).toBe(3);
    expect(informationOf('the', vectors)).toBeLessThan(informationOf('password', vectors));
    expect(informationOf('password', vectors)).toBeLessThan(informationOf('swiftui', vectors));
    expect(informationOf('swiftui', vectors)).toBe(1);
  });
});

describe('the word-to-word cosines of a search (computed per distinct word of the candidates)', () => {
  const vectors = wordVectors();
  const { dimension, values, inverseNorms } = vectors;
  const cosineOf = (a: number, b: number) => {
    let sum = 0;
    for (let i = 0; i < dimension; i++) sum += values[a * dimension + i] * values[b * dimension + i];
    return Math.fround(sum * inverseNorms[a] * inverseNorms[b]);
  };

  it('are the 8-bit cosines exactly, two query words per pass or one, 0 for a word without a vector', () => {
    const some = [0, 1, 57, 999, 12_345, 70_000, vectors.rows.size - 1];
    for (const queryRows of [
      [5],
      [5, 77],
      [5, undefined, 77],
      [3, 9_000, 40_000, 99],
      [0, 1, 57, 999, 12_345, 70_000, vectors.rows.size - 1],
    ]) {
      const similarities = new RowSimilarities(queryRows, vectors);
      for (const row of [...some, ...some, ...(queryRows.filter((r) => r !== undefined) as number[])]) {
        const at = similarities.offsetOf(row);
        const got = Array.from(similarities.values.subarray(at, at + queryRows.length));
        expect(got).toEqual(queryRows.map((q) => (q === undefined ? 0 : cosineOf(row, q))));
      }
    }
  });

  it('stay right when two queries take turns (their rows are kept in one table per set of word vectors)', () => {
    const one = new RowSimilarities([10, 20], vectors);
    const other = new RowSimilarities([30], vectors);
    const rows = [5, 6, 7, 5, 6, 7];
    for (const row of rows) {
      const first = one.offsetOf(row);
      expect(Array.from(one.values.subarray(first, first + 2))).toEqual([cosineOf(row, 10), cosineOf(row, 20)]);
      const second = other.offsetOf(row + 1);
      expect(other.values[second]).toBe(cosineOf(row + 1, 30));
    }
  });

  it('keep every row apart as the store grows', () => {
    const similarities = new RowSimilarities([10, 20, 30], vectors);
    const rows = Array.from({ length: 3_000 }, (_, i) => (i * 31) % vectors.rows.size);
    const offsets = rows.map((row) => similarities.offsetOf(row));
    rows.forEach((row, i) => {
      expect(similarities.offsetOf(row)).toBe(offsets[i]);
      expect(similarities.values[offsets[i] + 1]).toBe(cosineOf(row, 20));
    });
  });
});

describe('the word-vector signals of a text, given a threshold on its meaning', () => {
  const query = 'How much vacation do employees get?';
  const signals = meaningOf(query, queryTerms(query, synonymsOf));
  const text = '# holidays\nStaff are entitled to 25 days of paid leave per year.';

  it('are all computed when the meaning passes it, and none when not', () => {
    const full = signals(text);
    const seen: number[] = [];
    expect(
      signals(text, (meaning) => {
        seen.push(meaning);
        return true;
      }),
    ).toEqual(full);
    expect(seen).toEqual([full.meaning]);
    expect(signals(text, () => false)).toBeUndefined();
  });
});

describe("a text's features, computed once when it is indexed", () => {
  const texts = [
    '# holidays\nStaff are entitled to 25 days of paid leave per year; leave requests go to your manager.',
    '# printer setup\nThe printers on floor two take A4 paper. Printing: printer printing printed.',
    '# empty\n',
    '',
    'zzqxv dbctl 42 — Ünïcödé café naïve résumé',
  ];
  const queries = ['How much vacation do employees get?', 'How do I migrate our iOS app to SwiftUI?', 'printer paper', 'café'];

  it('give, read back from their bytes, the same signals as the text itself', () => {
    for (const query of queries) {
      const signals = meaningOf(query, queryTerms(query, synonymsOf));
      for (const text of texts) {
        const stored = decodeFeatures(encodeFeatures(textFeatures(text), '# a title'));
        expect(stored?.label).toBe('# a title');
        expect(signals(stored?.features ?? '')).toEqual(signals(text));
      }
    }
  });

  it('are, to the bit, those of the plain definition (distinct stems and rows in order, sentenceVector of every word), on varied text', () => {
    const plain = (text: string) => {
      const tokens = contentWords(text);
      const distinct = [...new Set(tokens)];
      const stems = [...new Set(distinct.map(stem))];
      return encodeFeatures(
        {
          stems: stems.length ? ` ${stems.join(' ')} ` : ' ',
          rows: Int32Array.from(distinct.flatMap((token) => wordVectors().rows.get(token) ?? [])),
          sentence: sentenceVector(tokens),
        },
        'x',
      );
    };
    const texts = variedTexts();
    // twice: the second pass reads what the first remembered of each word
    for (let pass = 0; pass < 2; pass++)
      for (const text of texts) expect(Buffer.from(encodeFeatures(textFeatures(text), 'x')).equals(Buffer.from(plain(text)))).toBe(true);
  });

  it('are never read when stored in another format (or with other word vectors) or cut short', () => {
    const bytes = Buffer.from(encodeFeatures(textFeatures(texts[0]), 'x'));
    const otherFormat = Buffer.from(bytes);
    otherFormat[0] ^= 1;
    expect(decodeFeatures(otherFormat)).toBeUndefined();
    expect(decodeFeatures(bytes.subarray(0, 420))).toBeUndefined();
    expect(decodeFeatures(new Uint8Array(3))).toBeUndefined();
  });
});
