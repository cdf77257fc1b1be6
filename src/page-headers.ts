/**
 * The headers every HTML page OneStory serves carries, defined once for the identity pages
 * (src/access/identity/pages.ts) and the web app: no MIME sniffing, no framing (clickjacking a
 * sign-in form), no Referer leaking a URL's query (an OAuth state or code) to another site, and no
 * caching of pages that may show personal data. Each adds its own Content-Security-Policy.
 */
export const HTML_SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** HTML_SECURITY_HEADERS with a page's Content-Security-Policy (which should include frame-ancestors 'none'). */
export function htmlPageHeaders(contentSecurityPolicy: string): Record<string, string> {
  return { ...HTML_SECURITY_HEADERS, 'content-security-policy': contentSecurityPolicy };
}
