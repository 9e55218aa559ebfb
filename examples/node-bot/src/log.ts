// One line per event on stderr. Nothing logged ever holds a token or the client secret: callers
// pass what happened, never a header or a credential.

export function log(area: string, message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${area}: ${message}\n`);
}
