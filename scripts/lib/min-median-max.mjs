// The summary every benchmark round set is reported with.

/** Min, median (the upper of the two middle values for an even count) and max of `xs`. */
export function minMedianMax(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s.at(-1) };
}
