import { TscogError } from "@tscog/sdk";

/**
 * Parses `-e NAME=value` flags (repeatable; a later one wins) into an
 * environment. `-e NAME` alone passes NAME's value from this shell, as
 * `docker run -e` does.
 */
export function parseEnvFlags(pairs: readonly string[], from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TscogError("BAD_REQUEST", `-e ${JSON.stringify(pair)}: expected NAME=value with NAME of letters, digits and _ (not starting with a digit).`);
    }
    if (eq >= 0) env[name] = pair.slice(eq + 1);
    else if (from[name] !== undefined) env[name] = from[name]!;
    else throw new TscogError("BAD_REQUEST", `-e ${name}: no value given and $${name} is not set here; write -e ${name}=value.`);
  }
  return env;
}
