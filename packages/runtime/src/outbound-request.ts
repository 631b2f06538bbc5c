/**
 * One outbound HTTP request under a `UrlPolicy`: no redirects followed, the
 * connection made to an address the policy checked, no pooled sockets.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkUrl, isTrustedHost, policyLookup, type UrlPolicy } from "./url-policy.js";

/** Options of `outboundRequest`. */
export interface OutboundRequestOptions {
  policy: UrlPolicy;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  /** Aborts the request and its response body. */
  signal?: AbortSignal;
}

/**
 * Sends one request and resolves with the response (its body unread); 3xx
 * responses are returned, not followed. Rejects with `UrlPolicyError` when the
 * policy refuses the URL or the address its host resolves to.
 *
 * @example
 * const res = await outboundRequest(new URL("https://example.com/a.png"), { policy: {} });
 */
export function outboundRequest(url: URL, options: OutboundRequestOptions): Promise<IncomingMessage> {
  const { policy } = options;
  checkUrl(url, policy);
  const lookup = policyLookup(isTrustedHost(url, policy) ? { allowPrivate: true } : policy);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers, signal: options.signal, lookup, agent: false }, resolve);
    req.on("error", reject);
    req.end(options.body);
  });
}
