import helmet from 'helmet';

/** The strict CSP from security.md: no inline script or style anywhere; everything from our origin. */
export function securityHeaders(secure: boolean) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Post thumbnails in analytics come from Instagram's CDN (images only; nothing runs from there).
        imgSrc: ["'self'", 'data:', 'blob:', 'https://*.cdninstagram.com', 'https://*.fbcdn.net'],
        // The composer previews prepared videos from our own origin.
        mediaSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        manifestSrc: ["'self'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Only meaningful over HTTPS; Traefik terminates TLS in front of us.
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
    // The same as frame-ancestors 'none', for browsers that only read the older header.
    xFrameOptions: { action: 'deny' },
  });
}
