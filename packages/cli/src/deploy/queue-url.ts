import { TscogError } from "@tscog/sdk";

/** A parsed `--queue-url`: what the pods get as `TSCOG_QUEUE_URL` and what KEDA needs to read the stream. */
export interface QueueUrl {
  /** The URL as given (it goes to the pods unchanged). */
  url: string;
  /** `host:port`, as KEDA's `address`. */
  address: string;
  /** Redis database index (the URL's `/DB`, default 0). */
  database: number;
  /** `rediss://`: TLS. */
  tls: boolean;
  /** The URL carries a user name (Redis ACL user). */
  username: string;
  /** The URL carries a password (then it goes in a Secret, not a ConfigMap). */
  password: string;
}

const EXAMPLE = "redis://HOST:PORT[/DB], e.g. redis://redis.default.svc:6379/0 (rediss:// for TLS)";

/** Parses and checks a Redis URL given with `--queue-url`. */
export function parseQueueUrl(value: string): QueueUrl {
  const bad = (why: string) => new TscogError("BAD_REQUEST", `--queue-url ${JSON.stringify(value)} ${why}; expected ${EXAMPLE}.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad("is not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw bad(`has the scheme "${url.protocol.slice(0, -1)}"`);
  if (!url.hostname) throw bad("has no host");
  if (url.search || url.hash) throw bad("has a query or fragment");
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,5}$/.test(db)) throw bad(`names the database "${db}", which is not a number`);
  return {
    url: value,
    address: `${url.hostname}:${url.port || "6379"}`,
    database: db === "" ? 0 : Number(db),
    tls: url.protocol === "rediss:",
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}
