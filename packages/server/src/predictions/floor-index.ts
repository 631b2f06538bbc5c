/**
 * The last index `i` with `sorted[i] <= value` (-1 when there is none), for
 * ascending arrays. `hint` (the previous answer) makes sequential lookups O(1).
 */
export function floorIndex(sorted: readonly number[], value: number, hint = 0): number {
  const n = sorted.length;
  if (hint >= 0 && hint < n && sorted[hint] <= value) {
    if (hint + 1 === n || sorted[hint + 1] > value) return hint;
    if (hint + 2 === n || sorted[hint + 2] > value) return hint + 1;
  }
  let lo = -1;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
