/*
 * tls.h - link credentials and peer authentication.
 *
 * Owns what a TLS session needs to authenticate both ends: this node's key
 * and certificate (or raw public key), the trust anchors (CAs and CRLs, or
 * pinned raw keys) and the `allow' list.  A credential set is immutable and
 * reference-counted: a reload builds a new one for new sessions while links
 * already up keep theirs.
 *
 * Peer verification runs inside the handshake (a GnuTLS verify callback),
 * so a refused peer gets an alert and never reaches the link layer; the
 * reason is left in the tls_peer the link gave the session.
 */
#ifndef CLOUDVPN_TLS_H
#define CLOUDVPN_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <gnutls/gnutls.h>

#include "conf.h"
#include "frame.h"

enum tls_mode { TLS_X509, TLS_RAWPK };

struct tls_pin {
	char name[NODE_NAME_MAX + 1];
	uint8_t sha256[32];
};

struct tls_creds {
	int refs;
	enum tls_mode mode;
	char name[NODE_NAME_MAX + 1];		/* this node */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	struct tls_pin *pins;
	size_t npins;
	char **allow;				/* NULL-terminated, or NULL */
};

/* What the verify callback learned of the peer; owned by the link. */
struct tls_peer {
	struct tls_creds *creds;	/* borrowed from the link */
	char name[NODE_NAME_MAX + 1];	/* set when verification passed */
	char why[256];			/* set when it failed */
	bool rejected;			/* verification (not transport) failed */
};

/* Build credentials from a finished configuration.  On failure returns
 * -errno or -1 and writes a message naming the option, its file:line and
 * the file that failed to load into err. */
int tls_creds_load(const struct conf *c, struct tls_creds **out,
		   char *err, size_t errlen);
struct tls_creds *tls_creds_get(struct tls_creds *cr);
void tls_creds_put(struct tls_creds *cr);

/* A client or server session on fd with cr's credentials; peer receives
 * the verification result.  Returns 0 or a GnuTLS error code. */
int tls_session_new(struct tls_creds *cr, bool server, int fd,
		    struct tls_peer *peer, gnutls_session_t *out);

/* True when name may be our peer under cr's `allow' list (and is not us);
 * otherwise why says so.  Used again on reload for links already up. */
bool tls_name_allowed(const struct tls_creds *cr, const char *name,
		      char *why, size_t whylen);

/* Would cr accept the peer of the established session s, known as name?
 * Re-runs the whole verification (chain, expiry, CRLs, or pins; allow
 * list) against cr, so that a reload revokes links, not only handshakes. */
bool tls_peer_still_trusted(struct tls_creds *cr, gnutls_session_t s,
			    const char *name, char *why, size_t whylen);

/* Parse "NAME pin-sha256:BASE64"; false on any defect. */
bool tls_parse_pin(const char *text, struct tls_pin *pin);

#endif
