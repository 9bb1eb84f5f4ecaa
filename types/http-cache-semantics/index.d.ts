// Minimal types for http-cache-semantics 4 (only what PeerConnect uses).
declare module 'http-cache-semantics' {
  namespace CachePolicy {
    interface Request {
      url?: string;
      method?: string;
      headers: Record<string, string | string[] | undefined>;
    }
    interface Response {
      status?: number;
      headers: Record<string, string | string[] | undefined>;
    }
    interface Options {
      shared?: boolean;
      cacheHeuristic?: number;
      immutableMinTimeToLive?: number;
      ignoreCargoCult?: boolean;
    }
    interface Revalidation {
      headers: Record<string, string>;
      synchronous: boolean;
    }
    interface Evaluation {
      response: { headers: Record<string, string | string[]>; status: number } | undefined;
      revalidation: Revalidation | undefined;
    }
  }
  class CachePolicy {
    constructor(req: CachePolicy.Request, res: CachePolicy.Response, options?: CachePolicy.Options);
    storable(): boolean;
    evaluateRequest(req: CachePolicy.Request): CachePolicy.Evaluation;
    satisfiesWithoutRevalidation(req: CachePolicy.Request): boolean;
    responseHeaders(): Record<string, string | string[]>;
    revalidationHeaders(req: CachePolicy.Request): Record<string, string>;
    revalidatedPolicy(req: CachePolicy.Request, res: CachePolicy.Response): { policy: CachePolicy; modified: boolean; matches: boolean };
    timeToLive(): number;
    stale(): boolean;
    age(): number;
    maxAge(): number;
  }
  export = CachePolicy;
}
