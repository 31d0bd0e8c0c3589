/** True when `text` holds half of a UTF-16 surrogate pair on its own: no UTF-8 encoding (S3 keys,
 * URLs, file names) can carry it. */
export const hasLoneSurrogate = (text: string): boolean => /\p{Cs}/u.test(text);
