/* The C API of dj/langid.h over Debian's libfasttext 0.9.2 (C++).
 *
 * Prediction mirrors FastText::predictLine, which Python fasttext's model.predict(text) calls on
 * std::stringstream(text + "\n"): Dictionary::getLine reads whitespace-separated tokens up to
 * the "\n" (which becomes "</s>"), FastText::predict(k = 1, threshold = 0.0) returns the best
 * (log-probability, label id), and the probability is std::exp of that float. Instead of
 * copying each text into a std::stringstream, a small streambuf reads the caller's bytes in
 * place and then one '\n'; the word, label and prediction vectors are reused across calls.
 *
 * Speed: most of getLine's time goes to the subword ids of each token (a hash lookup per
 * character n-gram in the pruned .ftz dictionary). The model has wordNgrams = 1, so a line's
 * ids are exactly its tokens' ids one after the other, then those of "</s>": each distinct
 * token's ids are computed once, by getLine itself on "token\n", and kept in a flat hash table
 * (cleared when half full; tokens over CACHE_TOKEN_MAX bytes, such as runs of CJK text, are
 * computed each time). Tokens are split on the bytes readWord splits on; a
 * '\n' or a literal "</s>" ends the line, as in getLine. Models with wordNgrams > 1 take the
 * plain getLine path. The results are the same bit for bit.
 *
 * No C++ exception leaves this file: every entry point catches everything and reports it
 * through dj_error_set(). */
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <istream>
#include <memory>
#include <new>
#include <streambuf>
#include <string>
#include <vector>

#include <algorithm>
#include <stdexcept>

#include <sys/stat.h>

#include <fasttext/fasttext.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

extern "C" {
#include "dj/error.h"
#include "dj/langid.h"
}

namespace {

/* Reads @len bytes at @p, then one '\n', then EOF. No copy of the text. */
class line_buf : public std::streambuf {
public:
	void reset(const char *p, size_t len)
	{
		char *b = const_cast<char *>(p);   /* the get area is only read */
		nl_done_ = false;
		setg(b, b, b + len);
	}

protected:
	int_type underflow() override
	{
		if (gptr() < egptr())
			return traits_type::to_int_type(*gptr());
		if (nl_done_)
			return traits_type::eof();
		nl_done_ = true;
		setg(nl_, nl_, nl_ + 1);   /* eback = nl_, so readWord's sungetc() of '\n' works */
		return traits_type::to_int_type(*gptr());
	}

private:
	char nl_[1] = { '\n' };
	bool nl_done_ = false;
};

/* FastText::checkModel is protected: this exposes it, so the header check is the library's. */
class model : public fasttext::FastText {
public:
	bool header_ok(std::istream &in) { return checkModel(in); }
};

/* Map the exception being handled to a dj_error. Call only inside a catch block. */
int error_from_exception(const char *what, const char *path) noexcept
{
	try {
		throw;
	} catch (const std::ios_base::failure &) {
		return dj_error_set(DJ_EINVAL, "%s '%s': the file is truncated or corrupt (read past its "
			"end)", what, path);
	} catch (const std::bad_alloc &) {
		return dj_error_set(DJ_EINVAL, "%s '%s': out of memory (a corrupt file?)", what, path);
	} catch (const std::exception &e) {
		return dj_error_set(DJ_EINVAL, "%s '%s': %s", what, path, e.what());
	} catch (...) {
		return dj_error_set(DJ_EINVAL, "%s '%s': unknown C++ exception", what, path);
	}
}

/* Open @path for reading and run the library's header check; on failure set dj_error. */
int open_checked(std::ifstream &ifs, model &ft, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return dj_error_set(DJ_ENOTFOUND, "cannot open fastText model '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dj_error_set(DJ_ENOTFOUND, "fastText model '%s' is not a regular file", path);
	errno = 0;
	ifs.open(path, std::ifstream::binary);
	if (!ifs.is_open())
		return dj_error_set(DJ_ENOTFOUND, "cannot open fastText model '%s': %s", path,
			errno ? strerror(errno) : "open failed");
	/* fastText's loaders do not check the stream: on a truncated file some loop for ever
	 * (Dictionary::load reads each word until a NUL). Throwing at the first short read stops
	 * them; a good model file is read exactly to its end, never past it. */
	ifs.exceptions(std::ios_base::failbit | std::ios_base::badbit | std::ios_base::eofbit);
	try {
		if (ft.header_ok(ifs))
			return 0;
	} catch (const std::ios_base::failure &) {
		/* shorter than the 8-byte header */
	}
	return dj_error_set(DJ_EINVAL, "'%s' is not a fastText model (bad magic number or version)", path);
}

} // namespace

#define CACHE_SLOTS (1u << 19)  /* open-addressing slots (12 MB); cleared at half full */
#define CACHE_TOKEN_MAX 32      /* longer tokens are not cached */

namespace {

/* token -> its ids: a flat open-addressing table over two pools (token bytes, ids). */
struct token_cache {
	struct slot {
		uint64_t h;             /* 0: empty */
		uint32_t key, key_len, ids, n_ids;
	};
	std::vector<slot> slots = std::vector<slot>(CACHE_SLOTS);
	std::vector<char> keys;
	std::vector<int32_t> ids;
	size_t used = 0;

	static uint64_t hash(const char *p, size_t n)
	{
		uint64_t h = XXH3_64bits(p, n);
		return h ? h : 1;
	}

	/* The slot of @p..n (found, or the empty one where it goes). */
	slot &at(const char *p, size_t n, uint64_t h)
	{
		for (size_t i = (size_t)h & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
			slot &s = slots[i];
			if (!s.h || (s.h == h && s.key_len == n && memcmp(&keys[s.key], p, n) == 0))
				return s;
		}
	}

	void clear()
	{
		std::fill(slots.begin(), slots.end(), slot{});
		keys.clear();
		ids.clear();
		used = 0;
	}
};

} // namespace

struct dj_langid {
	model ft;
	std::shared_ptr<const fasttext::Dictionary> dict;
	std::vector<std::string> labels;
	bool per_token;                 /* wordNgrams == 1: ids per token are cacheable */
	std::vector<int32_t> eos_ids;   /* the ids getLine adds for the final "</s>" */
	token_cache cache;
	/* per-call scratch, reused */
	line_buf buf;
	std::istream in{ &buf };
	std::vector<int32_t> words, line_labels, tok_words;
	fasttext::Predictions preds;
};

namespace {

bool fasttext_space(char c)   /* Dictionary::readWord's separators */
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

/* getLine's ids for @p..@p+len followed by '\n', into m->tok_words (throws like getLine). */
void line_ids(dj_langid *m, const char *p, size_t len)
{
	m->buf.reset(p, len);
	m->in.clear();
	m->dict->getLine(m->in, m->tok_words, m->line_labels);
}

/* m->tok_words must end with the ids of "</s>" (getLine on "token\n"). */
void check_eos_suffix(const dj_langid *m)
{
	size_t n = m->tok_words.size(), e = m->eos_ids.size();
	if (n < e || !std::equal(m->eos_ids.begin(), m->eos_ids.end(), m->tok_words.end() - (long)e))
		throw std::runtime_error("unexpected ids for a token");
}

/* The ids of the line @text: its tokens' cached ids, then "</s>"'s. */
void cached_line(dj_langid *m, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	m->words.clear();
	while (p < end) {
		while (p < end && fasttext_space(*p)) {
			if (*p == '\n')
				goto done;   /* getLine stops at the first end of line */
			p++;
		}
		const char *start = p;
		while (p < end && !fasttext_space(*p))
			p++;
		if (p == start)
			break;
		size_t tlen = (size_t)(p - start), e = m->eos_ids.size();
		if (tlen == fasttext::Dictionary::EOS.size() && memcmp(start, fasttext::Dictionary::EOS.data(), tlen) == 0)
			break;   /* a literal "</s>": getLine ends the line there, with its ids */
		if (tlen > CACHE_TOKEN_MAX) {   /* long tokens (CJK runs) rarely repeat: not cached */
			line_ids(m, start, tlen);
			check_eos_suffix(m);
			m->words.insert(m->words.end(), m->tok_words.begin(), m->tok_words.end() - (long)e);
			continue;
		}
		uint64_t h = token_cache::hash(start, tlen);
		token_cache::slot *sl = &m->cache.at(start, tlen, h);
		if (!sl->h) {
			line_ids(m, start, tlen);
			check_eos_suffix(m);
			if (m->cache.used >= CACHE_SLOTS / 2 || m->cache.ids.size() > ((size_t)1 << 30)) {
				m->cache.clear();
				sl = &m->cache.at(start, tlen, h);
			}
			sl->h = h;
			sl->key = (uint32_t)m->cache.keys.size();
			sl->key_len = (uint32_t)tlen;
			sl->ids = (uint32_t)m->cache.ids.size();
			sl->n_ids = (uint32_t)(m->tok_words.size() - e);
			m->cache.keys.insert(m->cache.keys.end(), start, start + tlen);
			m->cache.ids.insert(m->cache.ids.end(), m->tok_words.begin(), m->tok_words.end() - (long)e);
			m->cache.used++;
		}
		const int32_t *ids = m->cache.ids.data() + sl->ids;
		m->words.insert(m->words.end(), ids, ids + sl->n_ids);
	}
done:
	m->words.insert(m->words.end(), m->eos_ids.begin(), m->eos_ids.end());
}

} // namespace

extern "C" int dj_langid_check(const char *path)
{
	try {
		model ft;
		std::ifstream ifs;
		return open_checked(ifs, ft, path);
	} catch (...) {
		return error_from_exception("cannot check fastText model", path);
	}
}

extern "C" int dj_langid_load(dj_langid **out, const char *path)
{
	dj_langid *m = nullptr;
	int rc;

	*out = nullptr;
	try {
		std::ifstream ifs;
		m = new dj_langid;
		if ((rc = open_checked(ifs, m->ft, path)) < 0) {
			delete m;
			return rc;
		}
		m->ft.loadModel(ifs);
		if (m->ft.getArgs().model != fasttext::model_name::sup) {
			delete m;
			return dj_error_set(DJ_EINVAL, "fastText model '%s' is a word-vector model, not a "
				"supervised (classification) one", path);
		}
		m->dict = m->ft.getDictionary();
		if (m->dict->nlabels() <= 0) {
			delete m;
			return dj_error_set(DJ_EINVAL, "fastText model '%s' has no labels", path);
		}
		m->labels.reserve((size_t)m->dict->nlabels());
		for (int32_t i = 0; i < m->dict->nlabels(); i++)
			m->labels.push_back(m->dict->getLabel(i));
		m->per_token = m->ft.getArgs().wordNgrams <= 1;
		line_ids(m, "", 0);
		m->eos_ids = m->tok_words;
	} catch (...) {
		delete m;
		return error_from_exception("cannot load fastText model", path);
	}
	*out = m;
	return 0;
}

extern "C" size_t dj_langid_n_labels(const dj_langid *m)
{
	return m->labels.size();
}

extern "C" const char *dj_langid_label(const dj_langid *m, size_t id)
{
	return id < m->labels.size() ? m->labels[id].c_str() : nullptr;
}

extern "C" int dj_langid_predict(size_t *label_out, double *score_out, dj_langid *m,
	const char *text, size_t len)
{
	try {
		/* FastText::predictLine(in, predictions, k = 1, threshold = 0.0), keeping the id */
		if (m->per_token) {
			cached_line(m, text, len);
		} else {
			m->buf.reset(text, len);
			m->in.clear();
			m->dict->getLine(m->in, m->words, m->line_labels);
		}
		m->preds.clear();
		m->ft.predict(1, m->words, m->preds, 0.0);
		if (m->preds.empty())
			return dj_error_set(DJ_EINVAL, "fastText predicted no label");
		float prob = std::exp(m->preds[0].first);   /* float, as predictLine computes it */
		*label_out = (size_t)m->preds[0].second;
		*score_out = (double)prob;
		return 0;
	} catch (const std::bad_alloc &) {
		return dj_error_set(DJ_ENOMEM, "fastText predict: out of memory");
	} catch (const std::exception &e) {
		return dj_error_set(DJ_EINVAL, "fastText predict: %s", e.what());
	} catch (...) {
		return dj_error_set(DJ_EINVAL, "fastText predict: unknown C++ exception");
	}
}

extern "C" void dj_langid_free(dj_langid *m)
{
	delete m;
}
