/** `search` is matched literally: % and _ typed by a user are not wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** PostgreSQL's unique_violation: two writers raced for the same key and the database chose one. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string }; code?: string } | null);
  return driverError?.driverError?.code === '23505' || driverError?.code === '23505';
}
