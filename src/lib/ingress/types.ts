// The ingress: one reverse proxy in front of every service that asks for it, routing a host name
// to the healthy replicas of that service only. The proxy is an existing program (Caddy) that the
// agent drives; this folder turns engine state into routes and routes into the proxy's config.

/** What a service asks for under `x-spin.ingress` in its compose definition. */
export interface IngressRequest {
  /** The container port the service listens on. */
  port: number;
  /** A host name chosen by the user; absent means `<service>.<stack>.<project>.<domain>`. */
  host?: string;
}

/** One host name and where its requests go (`127.0.0.1:PORT`, one per routed replica). */
export interface IngressRoute {
  host: string;
  /** `project/stack/service`, for messages and the empty-route answer. */
  owner: string;
  upstreams: string[];
}

/** A proxy that can be told the whole set of routes at once. */
export interface IngressDriver {
  /** Replaces the routes the proxy serves; resolves once the proxy uses them. */
  apply(routes: IngressRoute[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a deploy tells the ingress about containers it starts and stops. A fresh replica is held out
 * of the proxy until the deploy finds it healthy; a replica about to stop is drained first.
 */
export interface IngressHooks {
  /** Keeps a container out of the proxy until `release` (a replica still proving itself). */
  hold(id: string): void;
  /** Lets a held container in, resolving once the proxy routes to it (if it is healthy). */
  release(id: string): Promise<void>;
  /** Takes a container out of the proxy and waits until requests in flight on it had time to end. */
  drain(id: string): Promise<void>;
  /** Re-reads the engine and updates the proxy (after containers came or went). */
  sync(): Promise<void>;
}
