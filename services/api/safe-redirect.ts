/**
 * Where the dashboard may send a browser after sign-in. Only a path on this origin: exactly one leading `/`,
 * no `//` (protocol-relative), no backslash (browsers read `/\evil` as `//evil`), no control character (the
 * WHATWG URL parser drops tab, CR and LF, so `/\t/evil.example/` becomes `//evil.example/`; Node refuses CR/LF
 * in a header outright) and nothing outside printable ASCII, so no input reaches the `Location` header
 * unchecked. Anything else is `/`. See https://url.spec.whatwg.org/#concept-basic-url-parser and the OWASP
 * Unvalidated Redirects and Forwards Cheat Sheet.
 */
const SAME_ORIGIN_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;

export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2048 || !SAME_ORIGIN_PATH.test(next) || next.includes('\\')) return '/';
  // Belt and braces: what a browser would make of it must still be this origin.
  const base = 'http://agentcert.invalid';
  try {
    const u = new URL(next, base);
    return u.origin === base ? u.pathname + u.search + u.hash : '/';
  } catch {
    return '/';
  }
}
