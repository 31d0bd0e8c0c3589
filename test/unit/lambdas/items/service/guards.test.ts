import { allowList, blockedBy, isAllowed, isBlockedAddress } from '../../../../../lambdas/items/service/address-guard';
import {
  chunkText,
  CHUNK_OVERLAP,
  CHUNK_SIZE,
  contentTypeOf,
  isTextItem,
  MAX_INDEXED_CHARS,
} from '../../../../../lambdas/items/service/content';
import { itemPath, pathPrefix } from '../../../../../lambdas/items/service/paths';

describe('address guard', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    'not-an-ip',
  ])('blocks %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('lets %s through', (address) =>
    expect(isBlockedAddress(address)).toBe(false),
  );

  // every IPv6 form that embeds or translates an IPv4 address is judged by the address inside
  it.each([
    ['::7f00:1', 'loopback, inside an IPv4-compatible'],
    ['::127.0.0.1', 'loopback, inside an IPv4-compatible'],
    ['::a9fe:a9fe', 'link-local (cloud metadata included), inside an IPv4-compatible'],
    ['::ffff:7f00:1', 'loopback, inside an IPv4-mapped'],
    ['0:0:0:0:0:ffff:a00:1', 'private network, inside an IPv4-mapped'],
    ['::ffff:0:127.0.0.1', 'loopback, inside an IPv4-translated'],
    ['::ffff:0:a9fe:a9fe', 'link-local (cloud metadata included), inside an IPv4-translated'],
    ['64:ff9b::7f00:1', 'loopback, inside an NAT64'],
    ['64:ff9b::192.168.1.1', 'private network, inside an NAT64'],
    ['64:ff9b:1::7f00:1', '.*, inside an NAT64'], // a /96 inside the local-use prefix (its /48 reading is 0.0.0.0)
    ['64:ff9b:1:808:8:808:7f00:1', 'loopback, inside an NAT64'], // public at /48, /56 and /64, loopback at /96
    ['64:ff9b:1:7f00:1::', 'loopback, inside an NAT64'], // the /48 layout
    ['64:ff9b:1::', 'unspecified address, inside an NAT64'],
    ['2002:7f00:1::', 'loopback, inside an 6to4'],
    ['2002:a9fe:a9fe::1', 'link-local (cloud metadata included), inside an 6to4'],
    ['2001:0:808:808::80ff:fffe', 'loopback, inside an Teredo'], // client 127.0.0.1, inverted
    ['2001:0:a00:1::f7f7:f7f7', 'private network, inside an Teredo'], // server 10.0.0.1
    ['::1', 'loopback'],
    ['::', 'unspecified address'],
    ['fd00::1', 'private network (unique local)'],
    ['fe80::1%eth0', 'link-local (cloud metadata included)'],
    ['2001:db8::1', 'reserved or documentation range'],
    ['4000::1', 'not global unicast IPv6'],
  ])('judges %s by the rule "%s…"', (address, rule) => expect(blockedBy(address)).toMatch(new RegExp(`^${rule.replace(/[()]/g, '\\$&')}`)));

  it.each([
    '::808:808',
    '::ffff:808:808',
    '::ffff:0:808:808',
    '64:ff9b::808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2001:0:808:808::f7f7:f7f7',
    '64:ff9b:1:808:8:808:808:808',
    '2606:4700::1111',
  ])('lets %s through: the IPv4 address inside is public', (address) => expect(blockedBy(address)).toBeUndefined());

  it('reads the allow-list: addresses and CIDR ranges', () => {
    const list = allowList(['127.0.0.1', '10.1.0.0/16', '::1']);
    expect(isAllowed(list, '127.0.0.1')).toBe(true);
    expect(isAllowed(list, '127.0.0.2')).toBe(false);
    expect(isAllowed(list, '10.1.200.3')).toBe(true);
    expect(isAllowed(list, '::1')).toBe(true);
    expect(() => allowList(['localhost'])).toThrow(/not an IP address/);
  });
});

describe('item paths', () => {
  it('normalises to a leading slash without empty segments', () => {
    expect(itemPath('docs//a.md')).toBe('/docs/a.md');
    expect(itemPath('/docs/a.md')).toBe('/docs/a.md');
    expect(pathPrefix('docs/')).toBe('/docs/');
    expect(pathPrefix(undefined)).toBeUndefined();
  });

  it.each([
    [undefined, 'PATH_REQUIRED'],
    ['', 'PATH_REQUIRED'],
    ['/', 'PATH_REQUIRED'],
    ['/a/../b', 'INVALID_REQUEST'],
    ['/a/./b', 'INVALID_REQUEST'],
    ['/a\nb', 'INVALID_REQUEST'],
    ['/a\\b', 'INVALID_REQUEST'],
    [`/${'é'.repeat(600)}`, 'INVALID_REQUEST'],
  ])('refuses %j with %s', (value, code) => expect(() => itemPath(value)).toThrow(expect.objectContaining({ code })));
});

describe('content', () => {
  it('chunks text at boundaries within the size, up to the indexing cap', () => {
    const sentence = 'Every sentence here is about twelve words long, more or less, for the test. ';
    const chunks = chunkText(sentence.repeat(100));
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(CHUNK_SIZE);
    expect(chunks[0].endsWith('.')).toBe(true);
    expect(chunkText('short')).toEqual(['short']);
    expect(chunkText('   ')).toEqual([]);
    const capped = chunkText('word '.repeat(MAX_INDEXED_CHARS));
    expect(capped.join('').length).toBeLessThan(MAX_INDEXED_CHARS * 1.5);
  });

  it('overlaps consecutive chunks by up to CHUNK_OVERLAP characters and leaves no gap', () => {
    // every word is unique, so each chunk has exactly one place in the text
    const words = Array.from({ length: 1500 }, (_, i) => `w${String(i).padStart(4, '0')}${i % 12 === 11 ? '.' : ''}`);
    const text = words.join(' ');
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(5);
    const starts = chunks.map((c) => text.indexOf(c));
    for (const start of starts) expect(start).toBeGreaterThanOrEqual(0);
    expect(starts[0]).toBe(0);
    expect(starts.at(-1)! + chunks.at(-1)!.length).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) {
      const overlap = starts[i - 1] + chunks[i - 1].length - starts[i];
      // the overlap starts at the first word after CHUNK_OVERLAP characters before the cut
      expect(overlap).toBeGreaterThan(CHUNK_OVERLAP - 'w0000. '.length);
      expect(overlap).toBeLessThanOrEqual(CHUNK_OVERLAP);
    }
  });

  it('infers content types and tells text from binary', () => {
    expect(contentTypeOf('/a.md', undefined, Buffer.from('x'))).toBe('text/markdown');
    expect(contentTypeOf('/a', 'application/x-custom', Buffer.from('x'))).toBe('application/x-custom');
    expect(contentTypeOf('/a', undefined, Buffer.from('plain words'))).toBe('text/plain');
    expect(contentTypeOf('/a', undefined, Buffer.from([0, 1, 2, 255]))).toBe('application/octet-stream');
    expect(isTextItem('application/json', Buffer.from('{}'))).toBe(true);
    expect(isTextItem('image/png', Buffer.from('PNG'))).toBe(false);
    expect(isTextItem('application/octet-stream', Buffer.from('hello'))).toBe(true);
    expect(isTextItem('application/octet-stream', Buffer.from([0xff, 0xfe, 0]))).toBe(false);
  });
});
