/* Leveled logging to stderr: time, rank, level; file:line for ERR and DEBUG. */
#ifndef DJ_LOG_H
#define DJ_LOG_H

typedef enum dj_log_level { DJ_LOG_ERR = 0, DJ_LOG_WARN = 1, DJ_LOG_INFO = 2, DJ_LOG_DEBUG = 3 } dj_log_level;

extern dj_log_level dj_log_threshold;

/** Set the rank shown in log lines (-1: none). */
void dj_log_set_rank(int rank);

void dj__log(dj_log_level lvl, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define DJ_LOG(lvl, ...) do { if ((lvl) <= dj_log_threshold) \
	dj__log((lvl), __FILE__, __LINE__, __VA_ARGS__); } while (0)

#endif
