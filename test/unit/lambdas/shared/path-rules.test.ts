import {
  dotSegment,
  hasControlCharacter,
  hasEmptyInnerSegment,
  hasLoneSurrogate,
  isNfc,
  longestSegmentBytes,
  normaliseAbsolute,
  utf8Bytes,
} from '../../../../lambdas/shared/path-rules';

describe('path rules', () => {
  it('control characters: C0 and DEL always; C1 (U+0080–U+009F) unless a policy allows it', () => {
    for (const c of ['\u0000', '\u0009', '\u001f', '\u007f']) {
      expect(hasControlCharacter(`a${c}b`)).toBe(true);
      expect(hasControlCharacter(`a${c}b`, { c1: false })).toBe(true);
    }
    for (const c of ['\u0080', '\u0085', '\u009f']) {
      expect(hasControlCharacter(`a${c}b`)).toBe(true);
      expect(hasControlCharacter(`a${c}b`, { c1: false })).toBe(false);
    }
    expect(hasControlCharacter('caf\u00e9 \u00a0 notes/\u{1f600}.md')).toBe(false);
  });

  it('lone surrogates, NFC and UTF-8 length', () => {
    expect(hasLoneSurrogate('a\ud800b')).toBe(true);
    expect(hasLoneSurrogate('a\udc00')).toBe(true);
    expect(hasLoneSurrogate('\u{1f600}')).toBe(false);
    expect(isNfc('caf\u00e9')).toBe(true);
    expect(isNfc('cafe\u0301')).toBe(false);
    expect(utf8Bytes('a\u00e9\u20ac\u{1f600}')).toBe(1 + 2 + 3 + 4);
  });

  it('segments: dot segments, empty inner segments, longest segment', () => {
    expect(dotSegment('a/./b')).toBe('.');
    expect(dotSegment('a/../b')).toBe('..');
    expect(dotSegment('a/..b/.c')).toBeUndefined();
    expect(hasEmptyInnerSegment('a//b')).toBe(true);
    expect(hasEmptyInnerSegment('/a/b/')).toBe(false);
    expect(longestSegmentBytes('ab/\u00e9\u00e9\u00e9/c')).toBe(6);
    expect(longestSegmentBytes('')).toBe(0);
  });

  it('lexical normalisation of absolute paths never climbs above the root', () => {
    expect(normaliseAbsolute('/a/./b//c/')).toBe('/a/b/c');
    expect(normaliseAbsolute('/a/b/../c')).toBe('/a/c');
    expect(normaliseAbsolute('/../../etc')).toBe('/etc');
    expect(normaliseAbsolute('/')).toBe('/');
  });
});
