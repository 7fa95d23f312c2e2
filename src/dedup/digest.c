/* MD5 and SHA-1 through OpenSSL's libcrypto, for Data-Juicer's exact key (md5), MinHash
 * (sha1) and SimHash (md5) shingle hashes.
 *
 * Shingles are short (tens of bytes), so the per-call overhead decides the speed. Measured on
 * OpenSSL 3.0 (x86-64 with SHA-NI), 32-byte input: EVP_Digest() 320 ns (fetches the algorithm
 * and allocates a context each call), a reused EVP_MD_CTX with a pre-fetched EVP_MD 98 ns
 * (3.0 still frees and allocates the provider context on every init), the low-level
 * SHA1_Init/Update/Final 49 ns. The hot path therefore uses the low-level calls where the
 * library still has them (deprecated in 3.0, so only this file suppresses the warning) and
 * falls back to the reused EVP context otherwise; the one-shot dj_md5()/dj_sha1() use EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_MAJOR < 4 && !defined(OPENSSL_NO_DEPRECATED_3_0)
#include <openssl/md5.h>
#include <openssl/sha.h>
#define DJ_HAVE_LOWLEVEL_DIGEST 1
#else
#define DJ_HAVE_LOWLEVEL_DIGEST 0
#endif

#include <stdlib.h>

#include "dedup_int.h"
#include "dj/dedup.h"
#include "dj/error.h"

struct dj_digest {
	bool evp;
	EVP_MD_CTX *ctx;
	EVP_MD *sha1, *md5;
};

int dj_digest__new(dj_digest **out, bool force_evp)
{
	dj_digest *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return dj_error_set(DJ_ENOMEM, "digest: out of memory");
	d->evp = force_evp || !DJ_HAVE_LOWLEVEL_DIGEST;
	if (d->evp) {
		d->ctx = EVP_MD_CTX_new();
		d->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
		d->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
		if (!d->ctx || !d->sha1 || !d->md5) {
			const char *what = !d->ctx ? "digest context" : !d->sha1 ? "SHA1" : "MD5";
			dj_digest__free(d);
			return dj_error_set(DJ_EIO, "digest: libcrypto has no %s", what);
		}
	}
	*out = d;
	return 0;
}

void dj_digest__free(dj_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	EVP_MD_free(d->sha1);
	EVP_MD_free(d->md5);
	free(d);
}

bool dj_digest__is_evp(const dj_digest *d)
{
	return d->evp;
}

static int evp_run(EVP_MD_CTX *ctx, const EVP_MD *md, uint8_t *out, const void *data, size_t len)
{
	unsigned olen = 0;

	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(ctx, out, &olen) != 1)
		return dj_error_set(DJ_EIO, "digest: libcrypto %s failed on %zu bytes", EVP_MD_get0_name(md), len);
	return 0;
}

int dj_digest__sha1(dj_digest *d, uint8_t out[20], const void *data, size_t len)
{
#if DJ_HAVE_LOWLEVEL_DIGEST
	if (!d->evp) {
		SHA_CTX c;
		SHA1_Init(&c);
		SHA1_Update(&c, data, len);
		SHA1_Final(out, &c);
		return 0;
	}
#endif
	return evp_run(d->ctx, d->sha1, out, data, len);
}

int dj_digest__md5(dj_digest *d, uint8_t out[16], const void *data, size_t len)
{
#if DJ_HAVE_LOWLEVEL_DIGEST
	if (!d->evp) {
		MD5_CTX c;
		MD5_Init(&c);
		MD5_Update(&c, data, len);
		MD5_Final(out, &c);
		return 0;
	}
#endif
	return evp_run(d->ctx, d->md5, out, data, len);
}

static int one_shot(const EVP_MD *md, const char *name, uint8_t *out, const void *data, size_t len)
{
	unsigned olen = 0;

	if (EVP_Digest(data, len, out, &olen, md, NULL) != 1)
		return dj_error_set(DJ_EIO, "%s: libcrypto failed on %zu bytes", name, len);
	return 0;
}

int dj_md5(uint8_t out[16], const void *data, size_t len)
{
	return one_shot(EVP_md5(), "md5", out, data, len);
}

int dj_sha1(uint8_t out[20], const void *data, size_t len)
{
	return one_shot(EVP_sha1(), "sha1", out, data, len);
}

void dj_hex(char *out, const uint8_t *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}
