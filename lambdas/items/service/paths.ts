import { badRequest } from '../../kit/errors';
import { dotSegment, hasControlCharacter, hasLoneSurrogate, utf8Bytes } from '../../shared/path-rules';
import { pathRequired } from './errors';

const MAX_PATH_BYTES = 1024;

function clean(value: unknown, field: string, allowTrailingSlash: boolean): string {
  if (value === undefined || value === null || value === '') throw pathRequired(field);
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  if (hasControlCharacter(value)) throw badRequest(`${field} must not contain control characters`);
  if (hasLoneSurrogate(value)) throw badRequest(`${field} must be valid Unicode (it holds a lone surrogate)`);
  if (value.includes('\\')) throw badRequest(`${field} must use '/' as separator, not '\\'`);
  if (dotSegment(value)) throw badRequest(`${field} must not contain '.' or '..' segments`);
  const segments = value.split('/').filter(Boolean);
  let path = `/${segments.join('/')}`;
  if (allowTrailingSlash && value.endsWith('/') && segments.length) path += '/';
  if (utf8Bytes(path) > MAX_PATH_BYTES) throw badRequest(`${field} is longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

/** An item path as stored: leading '/', no empty, '.' or '..' segments, at most 1,024 bytes. */
export function itemPath(value: unknown, field = 'itemPath'): string {
  const path = clean(value, field, false);
  if (path === '/') throw pathRequired(field);
  if (typeof value === 'string' && value.endsWith('/')) throw badRequest(`${field} must name an item, not end with '/'`);
  return path;
}

/** A list prefix: normalised like a path, may end with '/'; undefined when not given. */
export function pathPrefix(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  return clean(value, 'prefix', true);
}
