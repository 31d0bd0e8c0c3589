/** A request body the SDK streams to storage: bytes in memory, a Blob, or a stream (e.g. a file being read). */
export type UploadBody = Blob | Uint8Array | ReadableStream<Uint8Array>;

/** PUTs bytes straight to storage with a presigned URL and the headers it was signed with. */
export async function putPresigned(
  fetchImpl: typeof fetch,
  url: string,
  headers: Record<string, string>,
  body: UploadBody,
  what: string,
): Promise<void> {
  const res = await fetchImpl(url, {
    method: 'PUT',
    headers,
    body,
    // required by fetch for a streamed request body
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  if (!res.ok) throw new Error(`Upload of ${what} to storage failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
}
