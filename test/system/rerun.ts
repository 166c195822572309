/**
 * When a failed case is worth one more run: only when every failure is a deadline that expired
 * (a busy CI machine runs TCG several times slower than a quiet one) and none is a finding,
 * such as a doctor line that says `fail`. Anything else is reported as it is, never re-run.
 */
const DEADLINE = /not within \d+s|did not finish within|timed out|\btimeout\b|no answer within/i;
const FINDING = /^fail\s/m;

export function onlyTimeouts(failures: readonly string[]): boolean {
  return failures.length > 0 && failures.every((f) => DEADLINE.test(f) && !FINDING.test(f));
}
