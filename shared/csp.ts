/**
 * The dashboard's Content-Security-Policy, one string for every place that states it: the <meta> in
 * src-renderer/index.html (checked equal by csp.test.ts), the HTTP bridge's response header and, later,
 * the desktop shell's custom protocol. Strict: only the app's own scripts, styles and connections, no
 * inline code, no plugins, no <base>, no form posts.
 */
export const RENDERER_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** For HTTP headers: adds what a <meta> policy cannot express (no one may frame the dashboard). */
export const RENDERER_CSP_HEADER = `${RENDERER_CSP}; frame-ancestors 'none'`;
