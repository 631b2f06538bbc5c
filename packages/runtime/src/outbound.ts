/**
 * `@tscog/runtime/outbound`: the outbound-address policy and the request
 * helper alone, for the server's main thread (the package's index also loads
 * esbuild, the TypeScript parser and the config validator).
 */
export { isPublicAddress, isTrustedHost, checkUrl, policyLookup, UrlPolicyError } from "./url-policy.js";
export type { UrlPolicy } from "./url-policy.js";
export { outboundRequest } from "./outbound-request.js";
export type { OutboundRequestOptions } from "./outbound-request.js";
