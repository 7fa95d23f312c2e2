/* Input expansion, decompressing line readers, atomic output writers. */
#ifndef DJ_IO_H
#define DJ_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dj/op.h"   /* dj_strlist */

/* ---- dataset_path expansion --------------------------------------------------------- */

typedef struct dj_input {
	char *path;
	double weight;      /* mixture weight in (0, 1]; 1.0 when not given */
	uint64_t size;      /* bytes on disk */
} dj_input;

typedef struct dj_input_list {
	dj_input *v;
	size_t n;
} dj_input_list;

/** Expand Data-Juicer's dataset_path: a file, a directory (recursive, filtered by
 *  @suffixes when non-empty, else by the supported formats), a glob, or a weighted mixture
 *  "<w1> <path1> <w2> <path2>" (weight optional per path, default 1.0). Within each
 *  mixture component files are sorted by path; components keep their order. Errors:
 *  DJ_ENOTFOUND (nothing matches, with the path), DJ_EINVAL (bad weight). */
int dj_inputs_expand(dj_input_list *out, const char *dataset_path, const dj_strlist *suffixes);
void dj_inputs_free(dj_input_list *l);

/** Is @path a supported input format (.jsonl .json .jsonl.gz .jsonl.zst .jsonl.lz4 .txt,
 *  also .json.gz/.json.zst/.json.lz4)? */
bool dj_io_supported(const char *path);

/** The format suffix of @path as Data-Juicer reports it (".jsonl", ".txt", ".jsonl.gz" -> ".jsonl"). */
const char *dj_io_suffix(const char *path);

/** Is @path a plain-text (.txt) input, where one file is one sample? */
bool dj_io_is_text(const char *path);

/* ---- shards ---------------------------------------------------------------------------- */

/* A unit of input work: whole files (one, or a run of consecutive small ones), or a byte range
 * of a big uncompressed JSONL file that starts at a line start and ends just after a '\n' (or
 * at the end of the file). */
typedef struct dj_shard {
	uint32_t file;          /* index in the input list of the (first) file */
	uint32_t n_files;       /* whole files file .. file + n_files - 1; 1 for a range */
	bool whole;             /* whole files (compressed files and .txt always) */
	uint64_t start, end;    /* byte range when !whole */
	uint64_t first_line;    /* lines of the file before this shard (see dj_shard_count_lines) */
} dj_shard;

typedef struct dj_shard_plan {
	dj_shard *v;
	size_t n;
} dj_shard_plan;

/** Cut the inputs into shards: compressed and .txt files whole; an uncompressed JSONL file
 *  larger than @shard_bytes into ranges ending after the first '\n' at or after each
 *  multiple of @shard_bytes (a shard is never empty, even when @shard_bytes is smaller than
 *  a line). Consecutive files under DJ_SMALL_FILE bytes are grouped into one shard of about
 *  DJ_SMALL_GROUP bytes (at most @shard_bytes), so that many tiny files do not cost a part
 *  file each. Reads a little of each big file around its cut points. first_line is 0. */
#define DJ_SMALL_FILE ((uint64_t)256 << 10)
#define DJ_SMALL_GROUP ((uint64_t)1 << 20)
int dj_shard_plan_make(dj_shard_plan *out, const dj_input_list *in, uint64_t shard_bytes);
void dj_shard_plan_free(dj_shard_plan *p);

/** The number of '\n' in a ranged shard (used to number the lines of the next shards). */
int dj_shard_count_lines(uint64_t *out, const char *path, const dj_shard *s);

/* ---- line reader -------------------------------------------------------------------- */

typedef struct dj_line_reader dj_line_reader;

/** Open @path for reading lines, decompressing by suffix (.gz, .zst, .lz4). */
int dj_line_reader_open(dj_line_reader **out, const char *path);

/** Read only bytes [@start, @end) of an uncompressed file (a shard of a big file whose
 *  range starts at a line start and ends after a '\n'). */
int dj_line_reader_open_range(dj_line_reader **out, const char *path, uint64_t start, uint64_t end);

/** Next chunk of whole lines, about @want bytes (more if one line is longer; lines are
 *  never cut). *buf (borrowed, valid until the next call) holds *len bytes: complete
 *  lines, each ending in '\n' except possibly the file's last. DJ_ITEROVER at the end.
 *  A truncated or corrupt compressed stream is DJ_EIO naming the file. */
int dj_line_reader_next(dj_line_reader *r, size_t want, const char **buf, size_t *len);

/** Read the whole (decompressed) file into a malloc'd buffer (for .txt inputs). */
int dj_read_all(const char *path, char **buf_out, size_t *len_out);

void dj_line_reader_close(dj_line_reader *r);

/* ---- writer ------------------------------------------------------------------------- */

typedef struct dj_writer dj_writer;

/** Open an output at @path, compressed by suffix (.lz4 frames, .zst, .gz, else plain).
 *  Bytes go to a temporary name in the same directory; nothing exists under @path until
 *  dj_writer_commit(). Creates missing parent directories. */
int dj_writer_open(dj_writer **out, const char *path);
int dj_writer_write(dj_writer *w, const void *data, size_t len);
/** Flush, fsync-free close, rename to the final name, free. */
int dj_writer_commit(dj_writer *w);
/** Remove the temporary file and free. Accepts NULL. */
void dj_writer_abort(dj_writer *w);

/** Write @root as JSON (json_dumps @flags) and a newline to @path, atomically (dj_writer). */
int dj_write_json_file(const char *path, const json_t *root, size_t flags);

/** mkdir -p. */
int dj_mkdirs(const char *path);

/** Concatenate the files @parts (in order, raw bytes) into @dest, atomically (temp name,
 *  rename). Compressed parts of the same codec concatenate into a valid stream (lz4 frames,
 *  zstd frames, gzip members). *xxh3_out (if not NULL) gets the XXH3-64 of @dest's bytes. */
int dj_concat_files(const char *dest, char *const *parts, size_t n_parts, uint64_t *xxh3_out);

/** Merge uncompressed JSON-lines part files into @dest (compressed by its suffix, written
 *  atomically) in the order given by their sidecars: @orders[i] holds one uint64_t position
 *  per line of @parts[i]; lines are written by ascending position, ties in part order then
 *  line order. Parts are memory-mapped; memory is 32 bytes per line. *xxh3_out (if not NULL)
 *  gets the XXH3-64 of @dest's bytes. */
int dj_merge_ordered_files(const char *dest, char *const *parts, char *const *orders, size_t n_parts,
	uint64_t *xxh3_out);

#endif
