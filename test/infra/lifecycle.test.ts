import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DEFAULT_SCOPE_TTL_SECONDS,
  ITEM_SCOPES,
  KEY_FAMILIES,
  lifecycleRules,
  UNCONFIRMED_UPLOAD_TAG,
  type BucketLifetimes,
  type ItemScope,
  type KeyFamily,
  type LifecycleRuleDef,
} from '../../lambdas/kit/data-model';
import { LAMBDAS_ROOT } from '../../lib/constructs/satchel-function';
import { objectKeyOf } from '../../lambdas/shared/file-names';
import { newBlobKey } from '../../lambdas/items/service/blobs';
import {
  blobKey,
  directKey,
  directLocation,
  entryKey,
  locationKey,
  multipartKey,
  newCopyLocation,
  stagingKey,
} from '../../lambdas/sync/service/keys';

const DAY = 86400;
const AGENT = { tenant: 'tenant-1', agentId: 'agent-1' };
/** Longest time between writing an item's bytes and the entry whose TTL counts from then: one Lambda run. */
const MAX_WRITE_LAG_SECONDS = 900;

const familyOf = (key: string): KeyFamily[] => KEY_FAMILIES.filter((f) => key.startsWith(f.prefix));
const applies = (rule: LifecycleRuleDef, family: KeyFamily) =>
  rule.prefix === undefined || family.prefix.startsWith(rule.prefix) || rule.prefix.startsWith(family.prefix);

/** When S3 removes the current version of an object created at `createdAt`: creation + days, rounded up to midnight UTC. */
const s3ExpiresAt = (createdAt: number, days: number) => Math.ceil((createdAt + days * DAY) / DAY) * DAY;

function lifetimes(scopeTtlSeconds: Partial<Record<ItemScope, number>>): BucketLifetimes {
  return { scopeTtlSeconds: { ...DEFAULT_SCOPE_TTL_SECONDS, ...scopeTtlSeconds }, noncurrentVersionDays: 1 };
}

const SETTINGS: [string, BucketLifetimes][] = [
  ['defaults', lifetimes({})],
  ['everything permanent', lifetimes({ agent: 0, session: 0, company: 0, temporary: 0 })],
  ['long and odd lifetimes', lifetimes({ agent: 30 * DAY + 1, session: 3600, company: 90 * DAY, temporary: 1 })],
  ['exact days', lifetimes({ agent: DAY, session: 2 * DAY, company: 365 * DAY, temporary: DAY - 1 })],
];

describe('every key the code writes belongs to exactly one declared key family', () => {
  test.each([
    ...ITEM_SCOPES.map((scope) => newBlobKey({ tenant: 'tenant-1', scope, scopeId: 'agent-1' })),
    blobKey(AGENT, 'notes/today.md', 'ab'.repeat(32)),
    locationKey(AGENT, 'notes/today.md', newCopyLocation()),
    multipartKey(AGENT, 'big.bin', 'cd'.repeat(12)),
    directKey(AGENT, 'notes/today.md', directLocation('ef'.repeat(12)), { hash: 'ab'.repeat(32), size: 4096 }),
    entryKey(AGENT, { path: 'notes/today.md', hash: 'ab'.repeat(32), size: 4096, location: directLocation('ef'.repeat(12)) } as never),
    entryKey(AGENT, { path: 'notes/old.md', hash: 'ab'.repeat(32) } as never), // confirmed before staging: the path itself
    entryKey(AGENT, { path: `${'deep/'.repeat(200)}file.md`, hash: 'ab'.repeat(32) } as never), // past 1,024 bytes: hashed
    stagingKey(AGENT, 'notes/today.md'),
    stagingKey(AGENT, 'notes/today.md', 'ab'.repeat(32)),
    stagingKey(AGENT, 'notes/today.md', 'ab'.repeat(32), 4096),
    objectKeyOf('tenant-1', 'dep-1', 'src/index.js'),
  ])('%s', (key) => {
    expect(familyOf(key)).toHaveLength(1);
  });

  test('a staged workspace upload (with or without its hash) is the staged family; a confirmed copy is live; multipart and direct puts are live but tagged until confirmed', () => {
    expect(familyOf(stagingKey(AGENT, 'a.md'))[0].lifetime).toEqual({ kind: 'staged' });
    expect(familyOf(stagingKey(AGENT, 'a.md', 'ab'.repeat(32)))[0].lifetime).toEqual({ kind: 'staged' });
    expect(familyOf(stagingKey(AGENT, 'a.md', 'ab'.repeat(32), 4096))[0].lifetime).toEqual({ kind: 'staged' });
    expect(familyOf(locationKey(AGENT, 'a.md', newCopyLocation()))[0].lifetime).toEqual({ kind: 'live' });
    expect(familyOf(multipartKey(AGENT, 'a.md', 'cd'.repeat(12)))[0]).toMatchObject({
      lifetime: { kind: 'live' },
      unreferencedTag: UNCONFIRMED_UPLOAD_TAG,
    });
    // a put presigned with hash and size goes to its own key, tagged unconfirmed (x-amz-tagging) until its confirm
    const direct = directKey(AGENT, 'a.md', directLocation('ef'.repeat(12)), { hash: 'ab'.repeat(32), size: 1 });
    expect(familyOf(direct)[0]).toMatchObject({ lifetime: { kind: 'live' }, unreferencedTag: UNCONFIRMED_UPLOAD_TAG });
    expect(entryKey(AGENT, { path: 'a.md', hash: 'ab'.repeat(32), size: 1, modified: '', location: directLocation('ef'.repeat(12)) })).toBe(
      direct,
    );
  });

  test('the source writes no key outside the declared families (every `<prefix>/$' + '{…}` key template in lambdas/)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const prefixes = new Map<string, string>();
    for (const file of files(LAMBDAS_ROOT)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/`([a-z][a-z-]*)\/\$\{/g))
        prefixes.set(`${match[1]}/`, relative(LAMBDAS_ROOT, file));
    }
    expect(prefixes.size).toBeGreaterThanOrEqual(3);
    const declared = new Set(KEY_FAMILIES.map((f) => `${f.prefix.split('/')[0]}/`));
    for (const [prefix, file] of prefixes)
      expect({ prefix, file, declared: declared.has(prefix) }).toEqual({ prefix, file, declared: true });
  });
});

describe.each(SETTINGS)('lifecycle rules with %s', (_name, settings) => {
  const rules = lifecycleRules(settings);
  const expiring = rules.filter((r) => r.expirationDays !== undefined);

  test('no rule expires a live key (workspace files, deployment files), and every expiring rule names a prefix', () => {
    for (const rule of expiring) expect(rule.prefix).toBeDefined();
    for (const family of KEY_FAMILIES.filter((f) => f.lifetime.kind === 'live')) {
      // only objects carrying the family's unreferenced tag, which no entry names (a confirm clears it first)
      const untagged = expiring.filter(
        (r) =>
          applies(r, family) &&
          !(family.unreferencedTag && r.tag && r.tag.key === family.unreferencedTag.key && r.tag.value === family.unreferencedTag.value),
      );
      expect(untagged.map((r) => r.id)).toEqual([]);
    }
  });

  test('objects of a live family still tagged unreferenced (uploads never confirmed) expire after a day', () => {
    const tagged = KEY_FAMILIES.filter((f) => f.unreferencedTag);
    expect(tagged.map((f) => f.prefix)).toEqual(['sync/']);
    for (const family of tagged) {
      expect(expiring.filter((r) => applies(r, family)).map((r) => [r.tag, r.expirationDays])).toEqual([[family.unreferencedTag, 1]]);
    }
  });

  test("an item's bytes outlive its entry (written up to one Lambda run later) whatever the time of day; permanent scopes never expire", () => {
    for (const scope of ITEM_SCOPES) {
      const family = KEY_FAMILIES.find((f) => f.lifetime.kind === 'item' && f.lifetime.scope === scope)!;
      const matching = expiring.filter((r) => applies(r, family));
      const ttl = settings.scopeTtlSeconds[scope];
      if (ttl === 0) {
        expect(matching).toEqual([]);
        continue;
      }
      expect(matching).toHaveLength(1); // a backstop exists behind the sweeper
      for (const createdAt of [0, DAY - 1, DAY / 2, 1_764_547_199]) {
        const entryExpiresAt = createdAt + MAX_WRITE_LAG_SECONDS + ttl;
        expect(s3ExpiresAt(createdAt, matching[0].expirationDays!)).toBeGreaterThanOrEqual(entryExpiresAt);
      }
    }
  });

  test('staged uploads expire; incomplete multipart uploads are aborted; old versions and bare delete markers go', () => {
    for (const family of KEY_FAMILIES.filter((f) => f.lifetime.kind === 'staged')) {
      expect(expiring.filter((r) => applies(r, family)).map((r) => r.expirationDays)).toEqual([1]);
    }
    expect(rules).toEqual(
      expect.arrayContaining([
        { id: 'abort-multipart', abortIncompleteMultipartUploadDays: 1 },
        { id: 'noncurrent-versions', noncurrentVersionExpirationDays: 1 },
        { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
      ]),
    );
  });
});
