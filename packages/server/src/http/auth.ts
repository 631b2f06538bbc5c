/** Optional bearer-token auth, plus signed stream URLs for clients that cannot send headers (EventSource). */
import { createHmac, timingSafeEqual } from "node:crypto";
import { TscogError } from "@tscog/sdk";
import type { HttpRequest } from "./http.js";

/** Checks `Authorization: Bearer <token>` (or Replicate's older `Token <token>`). */
export class Auth {
  private readonly expected?: Buffer;

  constructor(private readonly token?: string) {
    this.expected = token ? Buffer.from(token) : undefined;
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  /** Throws UNAUTHORIZED unless the request carries the token (always passes when auth is off). */
  check(request: HttpRequest): void {
    if (!this.expected) return;
    const header = request.headers.get("authorization") ?? "";
    const match = /^(?:Bearer|Token)\s+(.+)$/i.exec(header.trim());
    if (match && this.equal(match[1])) return;
    throw new TscogError("UNAUTHORIZED", "This server requires an API token: send `Authorization: Bearer <token>`.");
  }

  /** The query token that authorizes streaming one prediction (empty when auth is off). */
  streamToken(id: string): string {
    if (!this.token) return "";
    return createHmac("sha256", this.token).update(`stream:${id}`).digest("base64url");
  }

  /** True when `request` may read the stream of prediction `id`: a bearer token or the signed query token. */
  canStream(request: HttpRequest, id: string, queryToken: string | null): boolean {
    if (!this.expected) return true;
    if (queryToken) {
      const want = Buffer.from(this.streamToken(id));
      const got = Buffer.from(queryToken);
      if (want.length === got.length && timingSafeEqual(want, got)) return true;
    }
    try {
      this.check(request);
      return true;
    } catch {
      return false;
    }
  }

  private equal(candidate: string): boolean {
    const got = Buffer.from(candidate);
    return got.length === this.expected!.length && timingSafeEqual(got, this.expected!);
  }
}
