/*
 * tls.c - credentials and peer verification for links (see tls.h).
 *
 * Two trust modes, fixed per credential set:
 *   X.509  our key + certificate chain; peers must chain to a `ca', not be
 *          expired or listed in a `crl'; the peer's node name is its
 *          certificate's common name.
 *   rawpk  RFC 7250 raw public keys; a peer is whoever holds a key whose
 *          SHA-256 SPKI pin is configured with `pin NAME ...'.
 * In both, the `allow' list (if any) restricts names, and a peer with our
 * own name is refused (a node connected to itself).
 */
#include "config.h"
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "options.h"

#define RAWPK_PRIO ":-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK"

static int verify_peer(gnutls_session_t s);

struct tls_creds *tls_creds_get(struct tls_creds *cr)
{
	cr->refs++;
	return cr;
}

void tls_creds_put(struct tls_creds *cr)
{
	if (!cr || --cr->refs > 0)
		return;
	if (cr->cred)
		gnutls_certificate_free_credentials(cr->cred);
	if (cr->prio)
		gnutls_priority_deinit(cr->prio);
	if (cr->allow) {
		for (char **a = cr->allow; *a; a++)
			free(*a);
		free(cr->allow);
	}
	free(cr->pins);
	free(cr);
}

bool tls_parse_pin(const char *text, struct tls_pin *pin)
{
	static const char prefix[] = "pin-sha256:";
	const char *sp = strpbrk(text, " \t");
	size_t nlen = sp ? (size_t)(sp - text) : 0;

	if (!sp || !node_name_valid(text, nlen))
		return false;
	memcpy(pin->name, text, nlen);
	pin->name[nlen] = '\0';
	sp += strspn(sp, " \t");
	if (strncmp(sp, prefix, sizeof(prefix) - 1))
		return false;
	sp += sizeof(prefix) - 1;

	gnutls_datum_t in = { (unsigned char *)sp, (unsigned)strlen(sp) };
	gnutls_datum_t out = { NULL, 0 };
	bool ok = gnutls_base64_decode2(&in, &out) == 0 && out.size == 32;
	if (ok)
		memcpy(pin->sha256, out.data, 32);
	gnutls_free(out.data);
	return ok;
}

/* The common name of a DER certificate, if it is a valid node name. */
static bool crt_node_name(const gnutls_datum_t *der, char *name, size_t len)
{
	gnutls_x509_crt_t crt;
	size_t n = len;
	bool ok = false;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
					  name, &n) == 0)
		ok = node_name_valid(name, strlen(name));
	gnutls_x509_crt_deinit(crt);
	return ok;
}

static const char *where(const struct conf *c, int opt, size_t i, char *buf, size_t len)
{
	const struct conf_value *v = conf_get(c, opt, i);

	if (!v || v->line == 0)
		snprintf(buf, len, "%s", v ? v->file : "?");
	else
		snprintf(buf, len, "%s:%d", v->file, v->line);
	return buf;
}

static int load_x509(const struct conf *c, struct tls_creds *cr, char *err, size_t errlen)
{
	const char *key = conf_str(c, OPT_KEY), *cert = conf_str(c, OPT_CERT);
	char at[300];
	int r;

	if (!cert) {
		snprintf(err, errlen, "missing required option 'cert' (or 'pin' entries for raw public keys)");
		return -EINVAL;
	}
	if (conf_count(c, OPT_CA) == 0) {
		snprintf(err, errlen, "missing required option 'ca': peers cannot be verified without it");
		return -EINVAL;
	}
	r = gnutls_certificate_set_x509_key_file2(cr->cred, cert, key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot load cert '%s' with key '%s': %s",
			 where(c, OPT_CERT, conf_count(c, OPT_CERT) - 1, at, sizeof(at)),
			 cert, key, gnutls_strerror(r));
		return -EINVAL;
	}
	for (size_t i = 0; i < conf_count(c, OPT_CA); i++) {
		const char *f = conf_get(c, OPT_CA, i)->v.s;
		r = gnutls_certificate_set_x509_trust_file(cr->cred, f, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "%s: cannot load ca '%s': %s",
				 where(c, OPT_CA, i, at, sizeof(at)), f,
				 r == 0 ? "no certificate in it" : gnutls_strerror(r));
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < conf_count(c, OPT_CRL); i++) {
		const char *f = conf_get(c, OPT_CRL, i)->v.s;
		r = gnutls_certificate_set_x509_crl_file(cr->cred, f, GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot load crl '%s': %s",
				 where(c, OPT_CRL, i, at, sizeof(at)), f, gnutls_strerror(r));
			return -EINVAL;
		}
	}

	gnutls_datum_t own;
	char cn[NODE_NAME_MAX + 1];
	if (gnutls_certificate_get_crt_raw(cr->cred, 0, 0, &own) < 0 ||
	    !crt_node_name(&own, cn, sizeof(cn))) {
		snprintf(err, errlen, "cert '%s': its common name is not a valid node name "
			 "(1-%d of A-Z a-z 0-9 . _ -)", cert, NODE_NAME_MAX);
		return -EINVAL;
	}
	const char *name = conf_str(c, OPT_NAME);
	if (name && strcmp(name, cn)) {
		snprintf(err, errlen, "%s: name '%s' differs from the certificate's common name '%s'",
			 where(c, OPT_NAME, conf_count(c, OPT_NAME) - 1, at, sizeof(at)), name, cn);
		return -EINVAL;
	}
	snprintf(cr->name, sizeof(cr->name), "%s", cn);
	return 0;
}

static int load_rawpk(const struct conf *c, struct tls_creds *cr, char *err, size_t errlen)
{
	const char *keyfile = conf_str(c, OPT_KEY), *name = conf_str(c, OPT_NAME);
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_pcert_st pcert;
	char at[300];
	int r;

	if (!name || !node_name_valid(name, strlen(name))) {
		snprintf(err, errlen, "raw public key mode ('pin' given, no 'cert') needs option 'name' "
			 "(1-%d of A-Z a-z 0-9 . _ -)", NODE_NAME_MAX);
		return -EINVAL;
	}
	snprintf(cr->name, sizeof(cr->name), "%s", name);

	cr->pins = calloc(conf_count(c, OPT_PIN), sizeof(*cr->pins));
	if (!cr->pins)
		return -ENOMEM;
	for (size_t i = 0; i < conf_count(c, OPT_PIN); i++) {
		const char *text = conf_get(c, OPT_PIN, i)->v.s;
		if (!tls_parse_pin(text, &cr->pins[i])) {
			snprintf(err, errlen, "%s: option 'pin': expected 'NAME pin-sha256:BASE64' "
				 "(32-byte SHA-256), got '%s'", where(c, OPT_PIN, i, at, sizeof(at)), text);
			return -EINVAL;
		}
		cr->npins++;
	}

	r = gnutls_load_file(keyfile, &pem);
	if (r < 0) {
		snprintf(err, errlen, "cannot read key '%s': %s", keyfile, gnutls_strerror(r));
		return -EINVAL;
	}
	r = gnutls_privkey_init(&key);
	if (r == 0)
		r = gnutls_privkey_import_x509_raw(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r == 0)
		r = gnutls_pubkey_init(&pub);
	if (r == 0)
		r = gnutls_pubkey_import_privkey(pub, key, 0, 0);
	if (r == 0)
		r = gnutls_pcert_import_rawpk(&pcert, pub, 0);
	if (r == 0) {
		pub = NULL;	/* owned by pcert now */
		r = gnutls_certificate_set_key(cr->cred, NULL, 0, &pcert, 1, key);
		if (r < 0)
			gnutls_pcert_deinit(&pcert);
		else
			key = NULL;	/* owned by the credentials */
	}
	gnutls_memset(pem.data, 0, pem.size);	/* the private key */
	gnutls_free(pem.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (key)
		gnutls_privkey_deinit(key);
	if (r < 0) {
		snprintf(err, errlen, "cannot use key '%s' as a raw public key: %s",
			 keyfile, gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

int tls_creds_load(const struct conf *c, struct tls_creds **out, char *err, size_t errlen)
{
	struct tls_creds *cr = calloc(1, sizeof(*cr));
	char prio[1024];
	const char *errpos = NULL;
	int r;

	if (!cr) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cr->refs = 1;
	cr->mode = (!conf_str(c, OPT_CERT) && conf_count(c, OPT_PIN)) ? TLS_RAWPK : TLS_X509;
	r = gnutls_certificate_allocate_credentials(&cr->cred);
	if (r < 0) {
		snprintf(err, errlen, "gnutls: %s", gnutls_strerror(r));
		r = -ENOMEM;
		goto out;
	}
	gnutls_certificate_set_verify_function(cr->cred, verify_peer);
	r = cr->mode == TLS_X509 ? load_x509(c, cr, err, errlen) : load_rawpk(c, cr, err, errlen);
	if (r < 0)
		goto out;

	snprintf(prio, sizeof(prio), "%s%s", conf_str(c, OPT_TLS_PRIO),
		 cr->mode == TLS_RAWPK ? RAWPK_PRIO : "");
	if (gnutls_priority_init(&cr->prio, prio, &errpos) < 0) {
		snprintf(err, errlen, "option 'tls_prio_str': invalid GnuTLS priority string at '%s'",
			 errpos ? errpos : prio);
		r = -EINVAL;
		goto out;
	}

	size_t nallow = conf_count(c, OPT_ALLOW);
	if (nallow) {
		cr->allow = calloc(nallow + 1, sizeof(char *));
		if (!cr->allow) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nallow; i++) {
			cr->allow[i] = strdup(conf_get(c, OPT_ALLOW, i)->v.s);
			if (!cr->allow[i]) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	*out = cr;
	return 0;
out:
	if (r == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	tls_creds_put(cr);
	return r;
}

bool tls_name_allowed(const struct tls_creds *cr, const char *name, char *why, size_t whylen)
{
	if (!strcmp(name, cr->name)) {
		snprintf(why, whylen, "peer '%s' is this node itself", name);
		return false;
	}
	if (!cr->allow)
		return true;
	for (char **a = cr->allow; *a; a++)
		if (!strcmp(*a, name))
			return true;
	snprintf(why, whylen, "node name '%s' is not allowed (not in 'allow')", name);
	return false;
}

static int verify_x509(gnutls_session_t s, struct tls_peer *p)
{
	const gnutls_datum_t *chain;
	unsigned status = 0, n = 0;
	gnutls_datum_t text;
	int r;

	r = gnutls_certificate_verify_peers2(s, &status);
	if (r < 0) {
		snprintf(p->why, sizeof(p->why), "certificate rejected: %s", gnutls_strerror(r));
		return -1;
	}
	if (status) {
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
			snprintf(p->why, sizeof(p->why), "certificate rejected: %s", text.data);
			gnutls_free(text.data);
		} else {
			snprintf(p->why, sizeof(p->why), "certificate rejected (status 0x%x)", status);
		}
		return -1;
	}
	chain = gnutls_certificate_get_peers(s, &n);
	if (!chain || n == 0 || !crt_node_name(&chain[0], p->name, sizeof(p->name))) {
		p->name[0] = '\0';
		snprintf(p->why, sizeof(p->why),
			 "certificate rejected: its common name is not a valid node name");
		return -1;
	}
	return 0;
}

static int verify_rawpk(gnutls_session_t s, struct tls_peer *p)
{
	const gnutls_datum_t *spki;
	uint8_t hash[32];
	unsigned n = 0;

	if (gnutls_certificate_type_get2(s, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_RAWPK) {
		snprintf(p->why, sizeof(p->why), "certificate rejected: peer did not present a raw public key");
		return -1;
	}
	spki = gnutls_certificate_get_peers(s, &n);
	if (!spki || n != 1 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki[0].data, spki[0].size, hash) < 0) {
		snprintf(p->why, sizeof(p->why), "certificate rejected: no public key from peer");
		return -1;
	}
	for (size_t i = 0; i < p->creds->npins; i++) {
		if (!memcmp(hash, p->creds->pins[i].sha256, sizeof(hash))) {
			snprintf(p->name, sizeof(p->name), "%s", p->creds->pins[i].name);
			return 0;
		}
	}
	gnutls_datum_t raw = { hash, sizeof(hash) }, b64;
	if (gnutls_base64_encode2(&raw, &b64) == 0) {
		snprintf(p->why, sizeof(p->why), "certificate rejected: key pin-sha256:%.*s is not pinned",
			 (int)b64.size, b64.data);
		gnutls_free(b64.data);
	} else {
		snprintf(p->why, sizeof(p->why), "certificate rejected: key is not pinned");
	}
	return -1;
}

static bool recheck_x509(struct tls_creds *cr, gnutls_session_t s, const char *name,
			 char *why, size_t whylen)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t *crts = NULL;
	const gnutls_datum_t *chain;
	unsigned n = 0, imported = 0, status = 0;
	char cn[NODE_NAME_MAX + 1];
	bool ok = false;

	chain = gnutls_certificate_get_peers(s, &n);
	if (!chain || n == 0 || !crt_node_name(&chain[0], cn, sizeof(cn)) || strcmp(cn, name)) {
		snprintf(why, whylen, "its certificate no longer names '%s'", name);
		return false;
	}
	gnutls_certificate_get_trust_list(cr->cred, &tl);
	crts = calloc(n, sizeof(*crts));
	if (!crts) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	bool all_imported = true;
	for (; imported < n && all_imported; imported++) {
		if (gnutls_x509_crt_init(&crts[imported]) < 0) {
			all_imported = false;
			break;
		}
		all_imported = gnutls_x509_crt_import(crts[imported], &chain[imported],
						      GNUTLS_X509_FMT_DER) == 0;
	}
	if (all_imported &&
	    gnutls_x509_trust_list_verify_crt2(tl, crts, n, NULL, 0, 0, &status, NULL) == 0) {
		gnutls_datum_t text;
		ok = status == 0;
		if (!ok && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
									 &text, 0) == 0) {
			snprintf(why, whylen, "certificate rejected: %s", text.data);
			gnutls_free(text.data);
		} else if (!ok) {
			snprintf(why, whylen, "certificate rejected (status 0x%x)", status);
		}
	} else {
		snprintf(why, whylen, "its certificate chain cannot be checked again");
	}
	for (unsigned i = 0; i < imported; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	return ok;
}

static bool recheck_rawpk(struct tls_creds *cr, gnutls_session_t s, const char *name,
			  char *why, size_t whylen)
{
	const gnutls_datum_t *spki;
	uint8_t hash[32];
	unsigned n = 0;

	spki = gnutls_certificate_get_peers(s, &n);
	if (spki && n == 1 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki[0].data, spki[0].size, hash) == 0) {
		for (size_t i = 0; i < cr->npins; i++)
			if (!strcmp(cr->pins[i].name, name) &&
			    !memcmp(cr->pins[i].sha256, hash, sizeof(hash)))
				return true;
	}
	snprintf(why, whylen, "certificate rejected: its key is no longer pinned as '%s'", name);
	return false;
}

bool tls_peer_still_trusted(struct tls_creds *cr, gnutls_session_t s, const char *name,
			    char *why, size_t whylen)
{
	bool rawpk = gnutls_certificate_type_get2(s, GNUTLS_CTYPE_PEERS) == GNUTLS_CRT_RAWPK;

	if (rawpk != (cr->mode == TLS_RAWPK)) {
		snprintf(why, whylen, "the trust mode changed");
		return false;
	}
	if (!(rawpk ? recheck_rawpk : recheck_x509)(cr, s, name, why, whylen))
		return false;
	return tls_name_allowed(cr, name, why, whylen);
}

/* GnuTLS calls this during the handshake; non-zero aborts it with an alert. */
static int verify_peer(gnutls_session_t s)
{
	struct tls_peer *p = gnutls_session_get_ptr(s);
	char why[200];
	int r;

	r = p->creds->mode == TLS_X509 ? verify_x509(s, p) : verify_rawpk(s, p);
	if (r == 0 && !tls_name_allowed(p->creds, p->name, why, sizeof(why))) {
		snprintf(p->why, sizeof(p->why), "certificate rejected: %s", why);
		r = -1;
	}
	if (r < 0) {
		p->rejected = true;
		p->name[0] = '\0';
	}
	return r;
}

int tls_session_new(struct tls_creds *cr, bool server, int fd, struct tls_peer *peer,
		    gnutls_session_t *out)
{
	unsigned flags = (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL;
	gnutls_session_t s;
	int r;

	if (cr->mode == TLS_RAWPK)
		flags |= GNUTLS_ENABLE_RAWPK;
	r = gnutls_init(&s, flags);
	if (r < 0)
		return r;
	r = gnutls_priority_set(s, cr->prio);
	if (r == 0)
		r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cr->cred);
	if (r < 0) {
		gnutls_deinit(s);
		return r;
	}
	if (server) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		/* Do not name our CAs in the request: a client whose certificate
		 * is from another CA would then send none, and all we could log is
		 * "certificate required" instead of the real reason. */
		if (cr->mode == TLS_X509)
			gnutls_certificate_send_x509_rdn_sequence(s, 1);
	}
	memset(peer, 0, sizeof(*peer));
	peer->creds = cr;
	gnutls_session_set_ptr(s, peer);
	gnutls_transport_set_int(s, fd);
	*out = s;
	return 0;
}
