import { request, type Agent, type Dispatcher } from 'undici';

/** One answer as an edge-cache test reads it: status, headers, whole body and its X-Cache. */
export interface CacheAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  cache: string | string[] | undefined;
}

/** Requests `url` through `agent` and reads the whole body. */
export async function cacheRequest(agent: Agent, url: string, headers: Record<string, string> = {}, method: Dispatcher.HttpMethod = 'GET'): Promise<CacheAnswer> {
  const res = await request(url, { headers, method, dispatcher: agent });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, cache: res.headers['x-cache'] };
}
