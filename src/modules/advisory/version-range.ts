/**
 * Product versions compare as dotted numbers: 12.1.50.28 < 13.0.47.24. A bound given with fewer
 * parts covers every build under it: a range up to "13.0" includes 13.0.47.24.
 */
export function compareVersionPrefix(version: string, bound: string): number {
  const parts = splitVersion(version);
  const boundParts = splitVersion(bound);
  for (let i = 0; i < boundParts.length; i++) {
    const a = parts[i] ?? 0;
    const b = boundParts[i];
    if (typeof a === 'number' && typeof b === 'number') {
      if (a !== b) return a < b ? -1 : 1;
    } else if (String(a) !== String(b)) {
      return String(a) < String(b) ? -1 : 1;
    }
  }
  return 0;
}

function splitVersion(version: string): (number | string)[] {
  return version.trim().split(/[.\-_ ]+/).filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part.toLowerCase()));
}

/**
 * Whether a gateway version falls in an inclusive range. A gateway whose version nobody recorded
 * counts as exposed: a coordinator must not be told "safe" for lack of data.
 */
export function versionInRange(version: string | null, from: string | null, to: string | null): boolean {
  if (version === null || version.trim() === '') return true;
  if (from !== null && compareVersionPrefix(version, from) < 0) return false;
  if (to !== null && compareVersionPrefix(version, to) > 0) return false;
  return true;
}
