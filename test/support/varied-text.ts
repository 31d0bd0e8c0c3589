/**
 * Texts that exercise a text analysis: English prose with word forms and headings, other scripts and
 * cases (Greek final sigma, dotted capital I, ligatures, combining marks, emoji and other characters
 * beyond 16 bits), no content words at all, and one text of more distinct words than the analysis
 * caches remember (VARIED_DISTINCT_WORDS), texts of long unbroken tokens (hex, base64) of more characters than
 * those caches keep (LONG_TOKEN_CHARACTERS), followed by texts that must not be affected by them.
 */
export const VARIED_DISTINCT_WORDS = 60_000;
export const LONG_TOKEN_CHARACTERS = 1_500_000;

export function variedTexts(): string[] {
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const words = (
    'authentication authenticate authenticating users user password passwords rotate rotation quarter database ' +
    'backup backups nightly restore restored restoring printer printing printed paper holiday holidays vacation leave ' +
    'manager managers request requests the a of and to is was are were it this that running runs ran runner'
  ).split(' ');
  const unicode = [
    'ΣΊΣΥΦΟΣ σίσυφος ΟΔΟΣ\nΑΣ',
    'İstanbul IİıI',
    'Straße STRASSE ﬁle ﬂow',
    'naïve café résumé (e\u0301)',
    'ǅemal Ǆ ǆ',
    '日本語のテキスト 中文 한국어',
    'emoji 😀 a😀b 😀😀 𝒳𝒴 x𝒳y',
    'Ünïcödé — “quotes” ‘single’ …',
    'x'.repeat(400),
    'a1 b2 42 2026 v1.2.3',
  ];
  const texts: string[] = [];
  for (let t = 0; t < 60; t++) {
    const lines: string[] = [];
    for (let l = 0; l < 2 + Math.floor(random() * 8); l++) {
      const heading = random() < 0.2 ? ['# ', '## ', '   # ', '    # ', '\t# ', '#'][Math.floor(random() * 6)] : '';
      const line = Array.from({ length: Math.floor(random() * 30) }, () =>
        random() < 0.1 ? unicode[Math.floor(random() * unicode.length)] : words[Math.floor(random() * words.length)],
      );
      lines.push(heading + line.join(random() < 0.5 ? ' ' : ', '));
    }
    texts.push(lines.join(random() < 0.8 ? '\n' : '\n\n'));
  }
  texts.push('', '   ', '# \n', 'how do I ... ?', ...unicode);
  texts.push(Array.from({ length: VARIED_DISTINCT_WORDS }, (_, i) => `w${i.toString(36)}q`).join(' '));
  const longToken = () => Array.from({ length: 96 }, () => 'abcdef0123456789'[Math.floor(random() * 16)]).join('');
  for (let characters = 0; characters < LONG_TOKEN_CHARACTERS; characters += 500 * 96)
    texts.push(Array.from({ length: 500 }, longToken).join(' '));
  texts.push(...texts.slice(0, 10));
  return texts;
}
