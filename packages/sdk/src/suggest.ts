import { closest as nearest, distance } from "fastest-levenshtein";

/** The candidate nearest to `name`, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = nearest(name, candidates as string[]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(name, best) <= limit ? best : undefined;
}
