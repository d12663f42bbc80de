/**
 * SQL fragments shared by the floor's statements. Severity as a number (the status engine's order):
 * OPERATIONAL 0 < UNKNOWN 1 < DEGRADED_PERFORMANCE 2 < UNDER_MAINTENANCE 3 < PARTIAL_OUTAGE 4 < MAJOR_OUTAGE 5.
 * A level of 2 or more is an outage: only outages impose anything on dependants.
 */
export function levelOf(status: string): string {
  return `(CASE ${status} WHEN 'OPERATIONAL' THEN 0 WHEN 'DEGRADED_PERFORMANCE' THEN 2 WHEN 'UNDER_MAINTENANCE' THEN 3
    WHEN 'PARTIAL_OUTAGE' THEN 4 WHEN 'MAJOR_OUTAGE' THEN 5 ELSE 1 END)`;
}

export function statusOf(level: string): string {
  return `((ARRAY['OPERATIONAL','UNKNOWN','DEGRADED_PERFORMANCE','UNDER_MAINTENANCE','PARTIAL_OUTAGE','MAJOR_OUTAGE'])[${level} + 1])`;
}

/** The Relay global id ketenbeeld exposes: base64url of `Type:uuid`, without padding. */
export function globalId(type: string, id: string): string {
  return `translate(rtrim(encode(convert_to('${type}:' || ${id}::text, 'UTF8'), 'base64'), '='), '+/', '-_')`;
}

export function isoUtc(timestamp: string): string {
  return `to_char(${timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
