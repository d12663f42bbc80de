/**
 * One value (a DataLoader) per moment asked about, so every key of a batch is judged at the same
 * `asOf`. (The status module's loaders have the same helper of their own; one can go.)
 */
export function perMoment<T>(make: (asOf: Date) => T): (asOf: Date) => T {
  const byMoment = new Map<number, T>();
  return (asOf) => {
    let value = byMoment.get(asOf.getTime());
    if (value === undefined) {
      value = make(asOf);
      byMoment.set(asOf.getTime(), value);
    }
    return value;
  };
}
