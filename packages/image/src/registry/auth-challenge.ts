/** One challenge from a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Parameters such as `realm`, `service`, `scope` (keys lower-cased). */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235) into its challenges, e.g.
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`.
 * Quoted values may hold commas and backslash escapes.
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const s = header;
  const skip = (re: RegExp) => {
    while (i < s.length && re.test(s[i])) i++;
  };
  while (i < s.length) {
    skip(/[\s,]/);
    const schemeStart = i;
    while (i < s.length && /[!#$%&'*+.^_`|~\w-]/.test(s[i])) i++;
    if (i === schemeStart) break;
    const challenge: AuthChallenge = { scheme: s.slice(schemeStart, i).toLowerCase(), params: {} };
    out.push(challenge);
    // Parameters: key=value pairs separated by commas, until the next bare scheme token.
    for (;;) {
      skip(/[\s,]/);
      const keyStart = i;
      while (i < s.length && /[!#$%&'*+.^_`|~\w-]/.test(s[i])) i++;
      const key = s.slice(keyStart, i);
      let j = i;
      while (j < s.length && s[j] === " ") j++;
      if (!key || s[j] !== "=") {
        i = keyStart;
        break;
      }
      i = j + 1;
      while (i < s.length && s[i] === " ") i++;
      let value = "";
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        const valueStart = i;
        while (i < s.length && s[i] !== ",") i++;
        value = s.slice(valueStart, i).trim();
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return out;
}
