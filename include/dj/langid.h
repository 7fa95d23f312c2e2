/* Language identification with a fastText supervised model (lid.176.ftz / lid.176.bin) behind
 * a C API, for language_id_score_filter. The implementation (src/core/langid.cc) is a small
 * C++ shim over Debian's libfasttext 0.9.2; every C++ exception is caught inside it and turned
 * into a dj_rc code with the dj_error message, so none crosses into C.
 * A handle is not thread-safe: it keeps per-call scratch; use one per thread. */
#ifndef DJ_LANGID_H
#define DJ_LANGID_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dj_langid dj_langid;

/** Cheap check that @path is a readable fastText model file: it opens the file and runs
 *  fastText's own header check (magic number and version), without loading the model.
 *  Returns 0, DJ_ENOTFOUND (cannot open, or not a regular file) or DJ_EINVAL (not a fastText
 *  model); the message names @path. */
int dj_langid_check(const char *path);

/** Load the fastText model at @path (FastText::loadModel, after the same header check).
 *  Returns 0 and *out (owned by the caller, released with dj_langid_free), or DJ_ENOTFOUND
 *  (cannot open), DJ_EINVAL (not a fastText model, truncated, or not a supervised model),
 *  DJ_ENOMEM; the message names @path. */
int dj_langid_load(dj_langid **out /* OUT */, const char *path);

/** Number of labels of the model (176 for lid.176). */
size_t dj_langid_n_labels(const dj_langid *m);

/** Label @id as stored in the model, "__label__en" for lid.176 (borrowed, NUL-terminated,
 *  valid as long as @m); NULL if @id is out of range. */
const char *dj_langid_label(const dj_langid *m, size_t id);

/** The top-1 prediction for one line of text, exactly what Python fasttext's
 *  model.predict(text, k=1, threshold=0.0) returns: fastText's predictLine on @text followed
 *  by "\n" (tokens split on ' ', '\t', '\v', '\f', '\r' and NUL, "</s>" added at the end),
 *  *label_out its label id (see dj_langid_label) and *score_out exp() of its log-probability,
 *  computed in single precision as fastText does. @text should hold no '\n' (Python raises
 *  on one; here it would end the line). Returns 0; DJ_EINVAL if the model predicts nothing
 *  (Python then fails with an IndexError) or fastText throws; DJ_ENOMEM. */
int dj_langid_predict(size_t *label_out /* OUT */, double *score_out /* OUT */, dj_langid *m,
	const char *text, size_t len);

/** Release @m (accepts NULL). */
void dj_langid_free(dj_langid *m);

#ifdef __cplusplus
}
#endif

#endif
