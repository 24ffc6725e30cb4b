/*
 * version: the version of mod_certauthz and the certauthz command (the
 * Debian package's, debian/changelog), shown by the metrics' info line.
 */
#ifndef CERTAUTHZ_VERSION_H
#define CERTAUTHZ_VERSION_H

#define CERTAUTHZ_VERSION "0.1.0"

#endif
