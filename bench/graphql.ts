export function requestHeaders(token?: string): Record<string, string> {
  return { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

/** One request that must succeed: a non-2xx status or any GraphQL error throws. */
export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: requestHeaders(token), body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  let json: { data?: T; errors?: unknown[] } | undefined;
  try {
    json = JSON.parse(text);
  } catch {}
  if (!res.ok || !json?.data || json.errors) throw new Error(`GraphQL request failed (${res.status}): ${text.slice(0, 500)}`);
  return json.data;
}
